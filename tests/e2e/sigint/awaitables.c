/*
 * awaitables.c -- Ctrl-C inside every kind of awaitable.
 *
 * After async_shutdown_on_signals(), the main task spawns one task per
 * awaitable and makes sure each is suspended in it, then prints "ready"
 * and waits; the driver (run_sigint.sh) sends SIGINT or SIGTERM.  Every
 * task catches the failure with async_try, releases what it holds
 * (descriptors, locks, permits) and writes one line into its report
 * slot; the slots are printed in a fixed order once async_run has
 * returned, so the output does not depend on the order in which the
 * shutdown polls the tasks.  Then main checks what must hold after a
 * clean shutdown: async_run gave -1 with errno ECANCELED, every task
 * finished, no lock, permit or queue item is lost, the signal mask is
 * back and no descriptor leaked.  It exits 0 only when all of that
 * holds, and the driver compares the output with awaitables.out.
 *
 * Resources that a task owns are created and closed by the task; the
 * listener whose backlog is full (so that connects stay pending) belongs
 * to main, which creates it before the run and closes it after.  Tasks
 * that hold something (a lock, a permit) or feed something (a queue) in
 * their cleanup are spawned before the task that waits on it: the
 * shutdown cancels the oldest first, so the waiter is handed the thing
 * while its own cancellation is pending, the case where it must pass it
 * on.
 */
#define _GNU_SOURCE
#include <async.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* One report slot per task, in the order they are printed. */
enum {
    R_SLEEP,
    R_JOIN_TARGET,
    R_JOIN,
    R_GATHER_A,
    R_GATHER_B,
    R_GATHER,
    R_FAILFAST_A,
    R_FAILFAST_B,
    R_FAILFAST,
    R_WAIT_FOR_CALL,
    R_WAIT_FOR,
    R_GROUP_A,
    R_GROUP_B,
    R_GROUP,
    R_EVENT,
    R_LOCK_HOLDER,
    R_LOCK,
    R_SEM_HOLDER,
    R_SEM,
    R_CONDITION,
    R_QUEUE_PRODUCER,
    R_QUEUE_GET,
    R_QUEUE_PUT,
    R_QUEUE_JOIN,
    R_READ,
    R_RECV,
    R_READ_LINE,
    R_READ_EXACTLY,
    R_WRITE,
    R_SEND,
    R_ACCEPT,
    R_TCP_CONNECT,
    R_CONNECT,
    R_SERVE,
    R_SERVE_HANDLER,
    R_SERVE_CLIENT,
    R_TO_THREAD,
    R_TO_THREAD_QUEUED,
    R_GETADDRINFO,
    R_SIGNAL,
    R_LINGER,
    N_REPORTS
};

static char reports[N_REPORTS][256];
static int parked;   /* tasks that reached the await they stay in */
static int finished; /* tasks that ran to their end */

/* The first moment a task saw the shutdown; the worker thread of
 * async_to_thread waits for it, so it is surely running then. */
static atomic_int shutdown_seen;
static double shutdown_at;
static atomic_int worker_started, worker_done, queued_ran;

/* The objects the tasks wait on; main checks them after the run. */
static async_event never_set;
static async_lock lock, cond_lock;
static async_semaphore sem;
static async_condition cond;
static async_queue q_get, q_put, q_join;
static void *q_get_slots[2], *q_put_slots[1], *q_join_slots[1];
static int full_port; /* a listener whose backlog is full */
static int serve_port;

/* "name: cancelled (-125 the task was cancelled), extra" */
static void report(int slot, const char *name, int err, const char *fmt, ...) {
    char extra[160] = "";
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(extra, sizeof extra, fmt, ap);
    va_end(ap);
    snprintf(reports[slot], sizeof reports[slot], "%s: %s (%d %s)%s", name,
             err == 0                 ? "completed"
             : err == ASYNC_ECANCELED ? "cancelled"
                                      : "failed",
             err, err != 0 ? async_strerror(err) : "no error", extra);
}

/* Every task passes its caught code through here. */
static int caught(int err) {
    if (err == ASYNC_ECANCELED && !atomic_load(&shutdown_seen)) {
        shutdown_at = async_time();
        atomic_store(&shutdown_seen, 1);
    }
    return err;
}

static void nap(double seconds) {
    struct timespec ts = {(time_t)seconds,
                          (long)((seconds - (time_t)seconds) * 1e9)};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ------------------------------------------------------------------ */
/* Timers, tasks, gather, wait_for, groups                             */
/* ------------------------------------------------------------------ */

/* Sleeps until cancelled; the building block of the tasks that hold
 * something or are waited for. */
async int sleeper(int slot, const char *name) {
    int err;

    parked++;
    async_try(await(async_sleep(60)), &err);
    report(slot, name, caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
    return 0;
}

async void joiner(async_task *target) {
    int err;

    parked++;
    async_try(await(target), &err);
    report(R_JOIN, "join", caught(err), "");
    async_task_release(target);
    finished++;
    if (err != 0)
        async_raise(err);
}

static int gather_children_done;

async void gather_child(int slot, const char *name) {
    int err;

    parked++;
    async_try(await(async_sleep(60)), &err);
    report(slot, name, caught(err), "");
    gather_children_done++;
    finished++;
    if (err != 0)
        async_raise(err);
}

async void gatherer(void) {
    int err;

    parked++;
    async_try(await(async_gather(gather_child(R_GATHER_A, "gather child a"),
                                 gather_child(R_GATHER_B, "gather child b"))),
              &err);
    report(R_GATHER, "gather", caught(err), ", after %d of 2 children ended",
           gather_children_done);
    finished++;
    if (err != 0)
        async_raise(err);
}

static int failfast_children_done;

async void failfast_child(int slot, const char *name) {
    int err;

    parked++;
    async_try(await(async_sleep(60)), &err);
    report(slot, name, caught(err), "");
    failfast_children_done++;
    finished++;
    if (err != 0)
        async_raise(err);
}

async void failfast_gatherer(void) {
    int err;

    parked++;
    async_try(await(async_gather_failfast(
                  failfast_child(R_FAILFAST_A, "gather_failfast child a"),
                  failfast_child(R_FAILFAST_B, "gather_failfast child b"))),
              &err);
    report(R_FAILFAST, "gather_failfast", caught(err),
           ", after %d of 2 children ended", failfast_children_done);
    finished++;
    if (err != 0)
        async_raise(err);
}

async void waiter_for(void) {
    int err;

    parked++;
    async_try(
        await(async_wait_for(sleeper(R_WAIT_FOR_CALL, "wait_for call"), 60)),
        &err);
    report(R_WAIT_FOR, "wait_for", caught(err), ", after its call ended: %s",
           reports[R_WAIT_FOR_CALL][0] != '\0' ? "yes" : "no");
    finished++;
    if (err != 0)
        async_raise(err);
}

async void group_owner(void) {
    async_group_member slots[2];
    async_group g;
    int err;

    async_group_init(&g, slots, 2);
    async_group_add(&g, async_spawn(sleeper(R_GROUP_A, "group member a")));
    async_group_add(&g, async_spawn(sleeper(R_GROUP_B, "group member b")));
    parked++;
    async_try(await(async_group_wait(&g)), &err);
    report(R_GROUP, "group wait", caught(err), ", %zu members left",
           async_group_size(&g));
    finished++;
    if (err != 0)
        async_raise(err);
}

/* ------------------------------------------------------------------ */
/* Events, locks, semaphores, conditions, queues                       */
/* ------------------------------------------------------------------ */

async void event_waiter(void) {
    int err;

    parked++;
    async_try(await(async_event_wait(&never_set)), &err);
    report(R_EVENT, "event wait", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

/* Holds `lock` until cancelled, then releases it: spawned before the
 * waiter, so the release hands the lock to a waiter that is being
 * cancelled in the same pass, which must pass it on. */
async void lock_holder(void) {
    int err;

    await(async_lock_acquire(&lock));
    parked++;
    async_try(await(async_sleep(60)), &err);
    report(R_LOCK_HOLDER, "lock holder", caught(err), ", released: %s",
           async_lock_release(&lock) == 0 ? "yes" : "no");
    finished++;
    if (err != 0)
        async_raise(err);
}

async void lock_waiter(void) {
    int err;

    parked++;
    async_try(await(async_lock_acquire(&lock)), &err);
    if (err == 0)
        async_lock_release(&lock);
    report(R_LOCK, "lock acquire", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

async void sem_holder(void) {
    int err;

    await(async_semaphore_acquire(&sem));
    parked++;
    async_try(await(async_sleep(60)), &err);
    report(R_SEM_HOLDER, "semaphore holder", caught(err), ", released: %s",
           async_semaphore_release(&sem) == 0 ? "yes" : "no");
    finished++;
    if (err != 0)
        async_raise(err);
}

async void sem_waiter(void) {
    int err;

    parked++;
    async_try(await(async_semaphore_acquire(&sem)), &err);
    if (err == 0)
        async_semaphore_release(&sem);
    report(R_SEM, "semaphore acquire", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

async void cond_waiter(void) {
    int err;

    await(async_lock_acquire(&cond_lock));
    parked++;
    async_try(await(async_condition_wait(&cond)), &err);
    report(R_CONDITION, "condition wait", caught(err), ", lock held again: %s",
           async_lock_locked(&cond_lock) == 1 ? "yes" : "no");
    async_lock_release(&cond_lock);
    finished++;
    if (err != 0)
        async_raise(err);
}

/* Puts an item while it cleans up, when the getter below waits already
 * and is being cancelled: the item is handed to the getter, which must
 * give it back to the queue. */
async void queue_producer(void) {
    int err;

    parked++;
    async_try(await(async_sleep(60)), &err);
    report(R_QUEUE_PRODUCER, "queue producer", caught(err),
           ", put 'late item' while cleaning up: %s",
           async_queue_put_nowait(&q_get, "late item") == 0 ? "yes" : "no");
    finished++;
    if (err != 0)
        async_raise(err);
}

async void queue_getter(void) {
    int err;

    parked++;
    void *item = async_try(await(async_queue_get(&q_get)), &err);
    report(R_QUEUE_GET, "queue get", caught(err), ", got %s",
           item != NULL ? (const char *)item : "nothing");
    finished++;
    if (err != 0)
        async_raise(err);
}

async void queue_putter(void) {
    int err;

    parked++;
    async_try(await(async_queue_put(&q_put, "second")), &err);
    report(R_QUEUE_PUT, "queue put", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

async void queue_joiner(void) {
    int err;

    parked++;
    async_try(await(async_queue_join(&q_join)), &err);
    report(R_QUEUE_JOIN, "queue join", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

/* ------------------------------------------------------------------ */
/* Descriptors                                                         */
/* ------------------------------------------------------------------ */

async void pipe_reader(void) {
    int p[2];
    char buf[16];
    int err;

    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
        return;
    parked++;
    async_try(await(async_read(p[0], buf, sizeof buf)), &err);
    close(p[0]);
    close(p[1]);
    report(R_READ, "read", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

async void socket_receiver(void) {
    int sv[2];
    char buf[16];
    int err;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) != 0)
        return;
    parked++;
    async_try(await(async_recv(sv[0], buf, sizeof buf, 0)), &err);
    close(sv[0]);
    close(sv[1]);
    report(R_RECV, "recv", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

/* Strips the newline of a line for printing. */
static const char *chomp(char *s) {
    s[strcspn(s, "\n")] = '\0';
    return s;
}

/* Half a line is in the pipe when the shutdown comes: the cancelled read
 * must leave it in the reader, so the next read returns the whole line.
 * That read completes at once, so it does not see the shutdown. */
async void line_reader(void) {
    int p[2];
    char buf[64];
    char line[32] = "untouched";
    async_reader r;
    int err;

    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
        return;
    async_reader_init(&r, p[0], buf, sizeof buf);
    (void)!write(p[1], "partial", 7);
    parked++;
    async_try(await(async_read_line(&r, line, sizeof line)), &err);
    int untouched = strcmp(line, "untouched") == 0;
    (void)!write(p[1], " rest\n", 6);
    int err2;
    async_try(await(async_read_line(&r, line, sizeof line)), &err2);
    close(p[0]);
    close(p[1]);
    report(R_READ_LINE, "read_line", caught(err),
           ", line untouched: %s, next read: '%s'", untouched ? "yes" : "no",
           err2 == 0 ? chomp(line) : async_strerror(err2));
    finished++;
    if (err != 0)
        async_raise(err);
}

async void exact_reader(void) {
    int p[2];
    char buf[64];
    char got[9] = "--------";
    async_reader r;
    int err;

    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
        return;
    async_reader_init(&r, p[0], buf, sizeof buf);
    (void)!write(p[1], "abc", 3);
    parked++;
    async_try(await(async_read_exactly(&r, got, 8)), &err);
    int untouched = strcmp(got, "--------") == 0;
    (void)!write(p[1], "defgh", 5);
    int err2;
    async_try(await(async_read_exactly(&r, got, 8)), &err2);
    close(p[0]);
    close(p[1]);
    report(R_READ_EXACTLY, "read_exactly", caught(err),
           ", buffer untouched: %s, next read: '%s'", untouched ? "yes" : "no",
           err2 == 0 ? got : async_strerror(err2));
    finished++;
    if (err != 0)
        async_raise(err);
}

enum { PIPE_SIZE = 65536, WRITE_SIZE = 3 * PIPE_SIZE };
static char big[WRITE_SIZE];

/* Writes three pipe capacities into a pipe nobody reads: one goes out,
 * then the write waits.  After the cancellation the count must be what
 * the pipe really holds. */
async void pipe_writer(void) {
    int p[2];
    size_t written = 0, read_back = 0;
    char sink[4096];
    ssize_t n;
    int err;

    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
        return;
    (void)fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE);
    parked++;
    async_try(await(async_write_counted(p[1], big, sizeof big, &written)),
              &err);
    while ((n = read(p[0], sink, sizeof sink)) > 0)
        read_back += (size_t)n;
    close(p[0]);
    close(p[1]);
    report(R_WRITE, "write", caught(err),
           ", %zu of %zu bytes written, %zu read back", written, sizeof big,
           read_back);
    finished++;
    if (err != 0)
        async_raise(err);
}

/* async_send on a socket whose buffers are full. */
async void socket_sender(void) {
    int sv[2];
    int err;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) != 0)
        return;
    while (send(sv[0], big, sizeof big, MSG_NOSIGNAL) > 0)
        ;
    parked++;
    async_try(await(async_send(sv[0], big, sizeof big, 0)), &err);
    close(sv[0]);
    close(sv[1]);
    report(R_SEND, "send", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

async void acceptor(void) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 4);
    int err;

    if (lfd < 0)
        return;
    parked++;
    int fd = async_try(await(async_accept(lfd)), &err);
    if (err == 0)
        close(fd);
    close(lfd);
    report(R_ACCEPT, "accept", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

/* Connects to the listener whose backlog is full: the handshake never
 * completes.  async_tcp_connect closes its own socket when it fails. */
async void tcp_connector(void) {
    int err;

    parked++;
    int fd =
        async_try(await(async_tcp_connect("127.0.0.1", full_port, 0)), &err);
    if (err == 0)
        close(fd);
    report(R_TCP_CONNECT, "tcp_connect", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

/* The same with async_connect, where the socket is the caller's. */
async void connector(void) {
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int err;

    if (fd < 0)
        return;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)full_port);
    parked++;
    async_try(await(async_connect(fd, (struct sockaddr *)&sa, sizeof sa, 0)),
              &err);
    close(fd);
    report(R_CONNECT, "connect", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

static int handler_ended;

/* A connection handler of async_serve, reading a request that never
 * comes.  The server owns and closes `fd`. */
async void handler(int fd, void *arg) {
    char buf[16];
    int err;

    (void)arg;
    parked++;
    async_try(await(async_read(fd, buf, sizeof buf)), &err);
    report(R_SERVE_HANDLER, "serve handler", caught(err), "");
    handler_ended = 1;
    finished++;
    if (err != 0)
        async_raise(err);
}

async void server(void) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 4);
    int err;

    if (lfd < 0)
        return;
    serve_port = async_local_port(lfd);
    parked++;
    async_try(await(async_serve(lfd, handler, NULL)), &err);
    close(lfd);
    report(R_SERVE, "serve", caught(err), ", after its handler ended: %s",
           handler_ended ? "yes" : "no");
    finished++;
    if (err != 0)
        async_raise(err);
}

/* The server's client, connected and waiting for a reply. */
async void serve_client(void) {
    char buf[16];
    int err;

    while (serve_port == 0)
        await(async_sleep(0.001));
    int fd = await(async_tcp_connect("127.0.0.1", serve_port, 5));
    parked++;
    async_try(await(async_read(fd, buf, sizeof buf)), &err);
    close(fd);
    report(R_SERVE_CLIENT, "serve client", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

/* ------------------------------------------------------------------ */
/* Worker threads, signals, a task that goes on after cancellation     */
/* ------------------------------------------------------------------ */

/* Plain C on a worker thread: it cannot be interrupted, so it still runs
 * 0.3 s after the shutdown began (at most 20 s of waiting for it, in
 * case the signal never comes). */
static void *slow_work(void *arg) {
    atomic_store(&worker_started, 1);
    for (int i = 0; i < 2000 && !atomic_load(&shutdown_seen); i++)
        nap(0.01);
    nap(0.3);
    atomic_store(&worker_done, 1);
    return arg;
}

async void threaded(void) {
    int err;

    parked++;
    async_try(await(async_to_thread(slow_work, NULL)), &err);
    double waited = async_time() - shutdown_at;
    report(R_TO_THREAD, "to_thread", caught(err),
           ", after the worker returned: %s",
           atomic_load(&worker_done) && waited >= 0.29 ? "yes" : "no");
    finished++;
    if (err != 0)
        async_raise(err);
}

static void *queued_work(void *arg) {
    atomic_store(&queued_ran, 1);
    return arg;
}

/* The only worker thread (ASYNCRT_THREADS=1) is busy with slow_work, so
 * this call waits in the pool's queue: cancelled, it must never run. */
async void threaded_queued(void) {
    int err;

    parked++;
    async_try(await(async_to_thread(queued_work, NULL)), &err);
    report(R_TO_THREAD_QUEUED, "to_thread (queued)", caught(err),
           ", the call ran: %s", atomic_load(&queued_ran) ? "yes" : "no");
    finished++;
    if (err != 0)
        async_raise(err);
}

/* A resolution behind the busy worker, like threaded_queued: cancelled,
 * it ends at once and stores no list. */
async void resolver(void) {
    struct addrinfo *res = NULL;
    int err;

    parked++;
    async_try(await(async_getaddrinfo("127.0.0.1", "80", NULL, &res)), &err);
    report(R_GETADDRINFO, "getaddrinfo (queued)", caught(err),
           ", a list stored: %s", res != NULL ? "yes" : "no");
    if (res != NULL)
        freeaddrinfo(res);
    finished++;
    if (err != 0)
        async_raise(err);
}

async void signal_waiter(void) {
    int err;

    parked++;
    async_try(await(async_signal_wait(SIGUSR1)), &err);
    report(R_SIGNAL, "signal_wait SIGUSR1", caught(err), "");
    finished++;
    if (err != 0)
        async_raise(err);
}

static int linger_done;

/* Catches the cancellation and goes on for 0.3 s: async_run waits. */
async void lingerer(void) {
    int err, err2;

    parked++;
    async_try(await(async_sleep(60)), &err);
    caught(err);
    async_try(await(async_sleep(0.3)), &err2);
    report(R_LINGER, "linger", err, ", then slept 0.3 s more: %s",
           err2 == 0 ? "yes" : async_strerror(err2));
    linger_done = 1;
    finished++;
}

/* ------------------------------------------------------------------ */
/* Main                                                                */
/* ------------------------------------------------------------------ */

/* Gives up the handle of a task that nobody joins. */
static void detach(async_task *t) { async_task_release(t); }

async int amain(void) {
    detach(async_spawn(sleeper(R_SLEEP, "sleep")));
    async_task *target = async_spawn(sleeper(R_JOIN_TARGET, "join target"));
    detach(async_spawn(joiner(target)));
    detach(async_spawn(gatherer()));
    detach(async_spawn(failfast_gatherer()));
    detach(async_spawn(waiter_for()));
    detach(async_spawn(group_owner()));
    detach(async_spawn(event_waiter()));
    detach(async_spawn(lock_holder()));
    detach(async_spawn(lock_waiter()));
    detach(async_spawn(sem_holder()));
    detach(async_spawn(sem_waiter()));
    detach(async_spawn(cond_waiter()));
    detach(async_spawn(queue_producer()));
    detach(async_spawn(queue_getter()));
    detach(async_spawn(queue_putter()));
    detach(async_spawn(queue_joiner()));
    detach(async_spawn(pipe_reader()));
    detach(async_spawn(socket_receiver()));
    detach(async_spawn(line_reader()));
    detach(async_spawn(exact_reader()));
    detach(async_spawn(pipe_writer()));
    detach(async_spawn(socket_sender()));
    detach(async_spawn(acceptor()));
    detach(async_spawn(tcp_connector()));
    detach(async_spawn(connector()));
    detach(async_spawn(server()));
    detach(async_spawn(serve_client()));
    detach(async_spawn(threaded()));
    detach(async_spawn(threaded_queued()));
    detach(async_spawn(resolver()));
    detach(async_spawn(signal_waiter()));
    detach(async_spawn(lingerer()));

    /* Each task counts itself right before the await it stays in, so
     * once all have counted and the loop has gone round a few more
     * times, every one of them is suspended there. */
    for (int i = 0; parked < N_REPORTS || !atomic_load(&worker_started); i++) {
        if (i == 1000) {
            printf("not ready: %d of %d tasks parked\n", parked, N_REPORTS);
            return 1;
        }
        await(async_sleep(0.01));
    }
    await(async_sleep(0.05));
    printf("ready\n");
    fflush(stdout);
    await(async_sleep(60));
    printf("main: no signal came\n");
    return 1;
}

/* Open descriptors of the process. */
static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* A listener on 127.0.0.1 whose accept queue is full: connections are
 * queued until one stays pending (its SYN is dropped), which takes one
 * with backlog 0 on Linux.  The fillers are stored in `fds`. */
static int full_listener(int *lfd, int *fds, int max, int *n) {
    struct sockaddr_in sa;

    *n = 0;
    *lfd = async_tcp_listen("127.0.0.1", 0, 0);
    if (*lfd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)async_local_port(*lfd));
    while (*n < max) {
        struct pollfd p;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0)
            return -1;
        fds[(*n)++] = fd;
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            continue;
        if (errno != EINPROGRESS)
            return -1;
        p.fd = fd;
        p.events = POLLOUT;
        if (poll(&p, 1, 200) == 0)
            return async_local_port(*lfd); /* this one stays pending */
    }
    return -1;
}

static const char *yes(int c) { return c ? "yes" : "no"; }

/* The handlers of SIGINT and SIGTERM: the run must leave them as it
 * found them (default, or ignored when started in the background). */
static void stop_handlers(void (*h[2])(int)) {
    struct sigaction sa;

    sigaction(SIGINT, NULL, &sa);
    h[0] = sa.sa_handler;
    sigaction(SIGTERM, NULL, &sa);
    h[1] = sa.sa_handler;
}

int main(void) {
    int fds_before = count_fds();
    int lfd, fillers[16], n_fillers, ok = 1;
    void *item = NULL;
    sigset_t mask;
    void (*before[2])(int), (*after[2])(int);

    /* One worker thread, so that a second call waits in the queue. */
    setenv("ASYNCRT_THREADS", "1", 1);
    full_port = full_listener(&lfd, fillers, 16, &n_fillers);
    if (full_port < 0) {
        printf("could not fill a listener's backlog\n");
        return 1;
    }
    async_event_init(&never_set);
    async_lock_init(&lock);
    async_lock_init(&cond_lock);
    async_bounded_semaphore_init(&sem, 1);
    async_condition_init(&cond, &cond_lock);
    async_queue_init(&q_get, q_get_slots, 2);
    async_queue_init(&q_put, q_put_slots, 1);
    async_queue_put_nowait(&q_put, "first"); /* full */
    async_queue_init(&q_join, q_join_slots, 1);
    async_queue_put_nowait(&q_join, "job"); /* got, never marked done */
    async_queue_get_nowait(&q_join, &item);

    stop_handlers(before);
    if (async_shutdown_on_signals() != 0) {
        printf("async_shutdown_on_signals failed\n");
        return 1;
    }
    errno = 0;
    int rc = async_run(amain());
    int run_errno = errno;

    for (int i = 0; i < n_fillers; i++)
        close(fillers[i]);
    close(lfd);

    for (int i = 0; i < N_REPORTS; i++) {
        if (reports[i][0] == '\0') {
            printf("(report %d missing: that task did not end)\n", i);
            ok = 0;
        } else {
            printf("%s\n", reports[i]);
        }
    }

    printf("async_run: %d, errno %s\n", rc,
           run_errno == ECANCELED ? "ECANCELED" : strerror(run_errno));
    ok &= rc == -1 && run_errno == ECANCELED;
    printf("tasks: %d parked, %d ended\n", parked, finished);
    ok &= parked == N_REPORTS && finished == N_REPORTS;
    printf("to_thread worker returned before async_run did: %s\n",
           yes(atomic_load(&worker_done)));
    ok &= atomic_load(&worker_done);
    printf("queued to_thread call ran: %s\n", yes(atomic_load(&queued_ran)));
    ok &= !atomic_load(&queued_ran);
    printf("linger ended before async_run returned: %s\n", yes(linger_done));
    ok &= linger_done;
    printf("lock free: %s, condition lock free: %s\n",
           yes(async_lock_locked(&lock) == 0),
           yes(async_lock_locked(&cond_lock) == 0));
    ok &= async_lock_locked(&lock) == 0 && async_lock_locked(&cond_lock) == 0;
    printf("semaphore permits: %d of 1\n", async_semaphore_value(&sem));
    ok &= async_semaphore_value(&sem) == 1;

    /* The late item went back to the queue, the cancelled put added
     * nothing. */
    item = NULL;
    int got = async_queue_get_nowait(&q_get, &item);
    printf("queue get: left in the queue: %s, then %s\n",
           got == 0 ? (const char *)item : async_strerror(got),
           async_strerror(async_queue_get_nowait(&q_get, &item)));
    ok &= got == 0 && async_queue_size(&q_get) == 0;
    got = async_queue_get_nowait(&q_put, &item);
    printf("queue put: in the queue: %s, then %s\n",
           got == 0 ? (const char *)item : async_strerror(got),
           async_strerror(async_queue_get_nowait(&q_put, &item)));
    ok &= got == 0 && async_queue_size(&q_put) == 0;

    /* The mask and the dispositions are back as before the run. */
    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    int blocked = sigismember(&mask, SIGINT) || sigismember(&mask, SIGTERM) ||
                  sigismember(&mask, SIGUSR1);
    stop_handlers(after);
    int same = before[0] == after[0] && before[1] == after[1];
    printf("SIGINT, SIGTERM, SIGUSR1 blocked after the run: %s, "
           "dispositions as before: %s\n",
           yes(blocked), yes(same));
    ok &= !blocked && same;

    int fds_after = count_fds();
    printf("descriptors leaked: %d\n", fds_after - fds_before);
    ok &= fds_after == fds_before;
    return ok ? 0 : 1;
}
