/*
 * loops_server.c -- Ctrl-C stops a server that runs on two loops.
 *
 * main() opens two listening sockets on one port (async_tcp_listen_shared)
 * and runs loop_main on two loops (async_run_loops); loop 0 arms the
 * shutdown (async_shutdown_on_signals, in the run).  Each loop serves its
 * own socket with async_serve, whose handlers wait for bytes that never
 * come, and has a sleeping task besides.  Loop 0 opens client
 * connections until each loop's server has some (the kernel picks the
 * socket by a hash of the client's port, so a few may be needed), then
 * prints "ready" and the driver (run_sigint.sh) sends SIGINT or SIGTERM.
 * The signal reaches loop 0 only (loop 1's thread blocks it); loop 0's
 * shutdown must cancel loop 1 as well.  Every task writes its report
 * into its loop's slots, printed in a fixed order once async_run_loops
 * has returned; main exits 0 only when both loops ended cancelled, every
 * handler on each loop was cancelled, and SIGINT and SIGTERM are no
 * longer blocked.
 */
#define _GNU_SOURCE
#include <async.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { LOOPS = 2, CLIENTS_MAX = 256, BATCH = 8 };
enum { R_SERVER, R_SLEEPER, R_MAIN, N_REPORTS };

static int listen_fds[LOOPS];
static int clients[CLIENTS_MAX];
static int n_clients;
static int port;

/* Handlers started and cancelled on each loop: read by the other loop
 * (loop 0 waits for loop 1's to start). */
static atomic_int started[LOOPS], cancelled[LOOPS];

static char reports[LOOPS][N_REPORTS][160];

static void report(int slot, const char *name, int err, const char *extra) {
    int loop = async_loop_index();

    snprintf(reports[loop][slot], sizeof reports[loop][slot],
             "loop %d: %s: %s (%d %s)%s", loop, name,
             err == ASYNC_ECANCELED ? "cancelled" : "not cancelled", err,
             err != 0 ? async_strerror(err) : "no error", extra);
}

/* A connection's handler: waits for a byte that the client never
 * sends, until the shutdown cancels it. */
async void handler(int fd, void *arg) {
    int loop = async_loop_index(), err = 0;
    char byte;

    (void)arg;
    atomic_fetch_add(&started[loop], 1);
    async_try(await(async_read(fd, &byte, 1)), &err);
    if (err == ASYNC_ECANCELED)
        atomic_fetch_add(&cancelled[loop], 1);
    if (err != 0)
        async_raise(err);
}

async void server(int loop) {
    int err = 0;

    async_try(await(async_serve(listen_fds[loop], handler, NULL)), &err);
    report(R_SERVER, "server", err,
           atomic_load(&cancelled[loop]) == atomic_load(&started[loop])
               ? ", every handler cancelled: yes"
               : ", every handler cancelled: no");
    if (err != 0)
        async_raise(err);
}

async void sleeper(void) {
    int err = 0;

    async_try(await(async_sleep(60)), &err);
    report(R_SLEEPER, "sleeper", err, "");
    if (err != 0)
        async_raise(err);
}

/* Loop 0: connects clients in batches until every one has its handler
 * running and each loop has at least one; evaluates to 0, or -1 when
 * CLIENTS_MAX connections did not reach both loops. */
async int connect_clients(void) {
    while (n_clients + BATCH <= CLIENTS_MAX) {
        for (int i = 0; i < BATCH; i++)
            clients[n_clients++] =
                (int)await(async_tcp_connect("127.0.0.1", port, 5));
        for (int tries = 0; tries < 500; tries++) {
            if (atomic_load(&started[0]) + atomic_load(&started[1]) ==
                n_clients)
                break;
            await(async_sleep(0.01));
        }
        if (atomic_load(&started[0]) > 0 && atomic_load(&started[1]) > 0)
            return 0;
    }
    return -1;
}

async int loop_main(int loop, void *arg) {
    int err = 0;

    (void)arg;
    if (loop == 0 && async_shutdown_on_signals() != 0)
        return 1;
    async_task_release(async_spawn(server(loop)));
    async_task_release(async_spawn(sleeper()));
    if (loop == 0) {
        if (await(connect_clients()) != 0) {
            printf("the connections did not reach both loops\n");
            return 1;
        }
        printf("ready\n");
        fflush(stdout); /* the driver waits for it */
    }
    async_try(await(async_sleep(60)), &err);
    report(R_MAIN, "main", err, "");
    if (err != 0)
        async_raise(err);
    return 0;
}

int main(void) {
    int results[LOOPS] = {0, 0}, rc, ok;
    sigset_t mask;

    listen_fds[0] = async_tcp_listen_shared("127.0.0.1", 0, CLIENTS_MAX);
    port = async_local_port(listen_fds[0]);
    listen_fds[1] = async_tcp_listen_shared("127.0.0.1", port, CLIENTS_MAX);
    if (listen_fds[0] < 0 || listen_fds[1] < 0) {
        printf("listen failed\n");
        return 1;
    }
    rc = async_run_loops(LOOPS, loop_main, NULL, results);
    for (int loop = 0; loop < LOOPS; loop++)
        for (int slot = 0; slot < N_REPORTS; slot++)
            printf("%s\n", reports[loop][slot][0] != '\0' ? reports[loop][slot]
                                                          : "(no report)");
    printf("async_run_loops: %d, loop results: %d %d\n", rc, results[0],
           results[1]);
    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    ok = !sigismember(&mask, SIGINT) && !sigismember(&mask, SIGTERM);
    printf("SIGINT, SIGTERM blocked after the run: %s\n", ok ? "no" : "yes");
    for (int i = 0; i < n_clients; i++)
        close(clients[i]);
    close(listen_fds[0]);
    close(listen_fds[1]);
    for (int loop = 0; loop < LOOPS; loop++)
        ok = ok && results[loop] == ASYNC_ECANCELED &&
             atomic_load(&cancelled[loop]) == atomic_load(&started[loop]) &&
             atomic_load(&started[loop]) > 0;
    return rc == 0 && ok ? 0 : 1;
}
