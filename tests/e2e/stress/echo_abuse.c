/*
 * echo_abuse.c -- an async_serve echo server under many concurrent
 * loopback clients that misbehave.  The clients are plain blocking C
 * code on worker threads (async_to_thread, THREADS of them), so they
 * run truly in parallel with the loop.  Each thread makes CONNS
 * connections of random kinds (a fixed seed per thread):
 *   good    -- sends lines, some split across writes, checks each echo;
 *   reset   -- sends a line and a half, then closes with SO_LINGER 0
 *              (the server sees a reset);
 *   flood   -- sends far more than the buffers hold without reading,
 *              then closes with the data pending both ways;
 *   stall   -- sends half a line and waits: the server must close the
 *              connection once IDLE seconds pass without a line;
 *   silent  -- connects and closes at once.
 * Each thread ends with two good connections, after the abuse.  The
 * server must stay up, echo every good client's lines exactly, close
 * every stalled connection after its idle limit, and in the end every
 * descriptor must be closed: /proc/self/fd lists as many entries after
 * async_run as before.
 */
#include <async.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { THREADS = 16, CONNS = 24, LINES = 20 };
enum { GOOD, RESET, FLOOD, STALL, SILENT, KINDS };
#define IDLE 0.3 /* the server's limit between two lines */

static const char *const kind_names[KINDS] = {"good", "reset", "flood", "stall",
                                              "silent"};

/* The server's side, on the loop thread. */
struct served {
    int open, max_open, started, finished;
    long lines;
    int idle_closed, peer_errors;
};

/* One client thread's plan and results. */
struct plan {
    int port;
    uint64_t seed;
    int made[KINDS]; /* connections of each kind */
    int ok[KINDS];   /* ...that behaved as expected */
    char why[128];   /* the first unexpected thing seen */
};

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

/* Echoes lines until end of file, an error, IDLE seconds without a
 * complete line, or the server's cancellation. */
async void handle(int fd, void *arg) {
    struct served *s = arg;
    char buf[512];
    char line[256];
    async_reader r;
    ssize_t n;
    int err;

    s->started++;
    if (++s->open > s->max_open)
        s->max_open = s->open;
    async_reader_init(&r, fd, buf, sizeof buf);
    for (;;) {
        n = async_try(
            await(async_wait_for(async_read_line(&r, line, sizeof line), IDLE)),
            &err);
        if (err == ASYNC_ETIMEDOUT)
            s->idle_closed++;
        else if (err != 0 && err != ASYNC_ECANCELED)
            s->peer_errors++;
        if (err != 0 || n == 0)
            break;
        async_try(await(async_write(fd, line, (size_t)n)), &err);
        if (err != 0) {
            if (err != ASYNC_ECANCELED)
                s->peer_errors++;
            break;
        }
        s->lines++;
    }
    s->open--;
    s->finished++;
}

/* ---- the clients: blocking sockets on worker threads ---- */

static uint32_t next_rand(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

static double now(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_timeout(int fd, int opt, double seconds) {
    struct timeval tv = {(time_t)seconds,
                         (suseconds_t)((seconds - (time_t)seconds) * 1e6)};

    (void)setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

static int dial(int port) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    /* A line cut in two goes out at once, not after a delayed ack. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
    /* No client may hang the test on a server that stopped answering. */
    set_timeout(fd, SO_RCVTIMEO, 3.0);
    set_timeout(fd, SO_SNDTIMEO, 3.0);
    return fd;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int recv_all(int fd, char *p, size_t n) {
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void note(struct plan *p, const char *what, int conn) {
    if (p->why[0] == '\0')
        snprintf(p->why, sizeof p->why, "%s (connection %d, errno %d)", what,
                 conn, errno);
}

/* Sends LINES lines, each in one or two writes, and checks every echo. */
static int good_client(struct plan *p, int conn) {
    char line[128], back[128];
    int fd = dial(p->port), ok = fd >= 0;

    for (int j = 0; ok && j < LINES; j++) {
        int len = snprintf(line, sizeof line, "seed %llu conn %d line %d\n",
                           (unsigned long long)p->seed, conn, j);
        int cut = (int)(next_rand(&p->seed) % (unsigned)len);

        ok = send_all(fd, line, (size_t)cut) == 0 &&
             send_all(fd, line + cut, (size_t)(len - cut)) == 0 &&
             recv_all(fd, back, (size_t)len) == 0 &&
             memcmp(back, line, (size_t)len) == 0;
    }
    if (!ok)
        note(p, "good client: no echo or a wrong one", conn);
    if (fd >= 0)
        close(fd);
    return ok;
}

static int reset_client(struct plan *p, int conn) {
    static const char msg[] = "one whole line\nand half of ano";
    struct linger lg = {1, 0};
    int fd = dial(p->port);

    if (fd < 0 || send_all(fd, msg, sizeof msg - 1) != 0) {
        note(p, "reset client: connect or send failed", conn);
        if (fd >= 0)
            close(fd);
        return 0;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    return 1;
}

/* Writes until the buffers are full both ways (the server blocks
 * echoing to a client that does not read), then closes. */
static int flood_client(struct plan *p, int conn) {
    char block[4096];
    int fd = dial(p->port);

    if (fd < 0) {
        note(p, "flood client: connect failed", conn);
        return 0;
    }
    for (size_t i = 0; i < sizeof block; i++)
        block[i] = i % 64 == 63 ? '\n' : 'x';
    set_timeout(fd, SO_SNDTIMEO, 0.05);
    for (int i = 0; i < 1024; i++)
        if (send(fd, block, sizeof block, MSG_NOSIGNAL) < 0)
            break;
    close(fd);
    return 1;
}

/* Half a line, then silence: the server must hang up after IDLE. */
static int stall_client(struct plan *p, int conn) {
    char c;
    double t0, waited;
    ssize_t r;
    int fd = dial(p->port);

    if (fd < 0 || send_all(fd, "no end of li", 12) != 0) {
        note(p, "stall client: connect or send failed", conn);
        if (fd >= 0)
            close(fd);
        return 0;
    }
    t0 = now();
    r = recv(fd, &c, 1, 0);
    waited = now() - t0;
    close(fd);
    if (r == 0 && waited >= IDLE * 0.9 && waited < IDLE + 2.0)
        return 1;
    note(p, "stall client: not hung up after the idle limit", conn);
    return 0;
}

static int silent_client(struct plan *p, int conn) {
    int fd = dial(p->port);

    if (fd < 0) {
        note(p, "silent client: connect failed", conn);
        return 0;
    }
    close(fd);
    return 1;
}

static void *client_thread(void *arg) {
    struct plan *p = arg;

    for (int c = 0; c < CONNS; c++) {
        int kind = c >= CONNS - 2 ? GOOD : (int)(next_rand(&p->seed) % KINDS);
        int ok = 0;

        switch (kind) {
        case GOOD:
            ok = good_client(p, c);
            break;
        case RESET:
            ok = reset_client(p, c);
            break;
        case FLOOD:
            ok = flood_client(p, c);
            break;
        case STALL:
            ok = stall_client(p, c);
            break;
        default:
            ok = silent_client(p, c);
            break;
        }
        p->made[kind]++;
        p->ok[kind] += ok;
    }
    return NULL;
}

/* ---- the loop's side ---- */

async void run_clients(struct plan *p) {
    await(async_to_thread(client_thread, p));
}

async int amain(int fds_before) {
    static struct plan plans[THREADS];
    struct served s = {0};
    int made[KINDS] = {0}, ok[KINDS] = {0}, total = 0, err, rc = 0;
    int lfd = async_tcp_listen("127.0.0.1", 0, 512);
    async_task *server, *clients[THREADS];
    double t0 = async_time();

    if (lfd < 0) {
        printf("listen: %s\n", async_strerror(lfd));
        return 1;
    }
    server = async_spawn(async_serve(lfd, handle, &s));
    for (int i = 0; i < THREADS; i++) {
        plans[i].port = async_local_port(lfd);
        plans[i].seed = 0x2545f4914f6cdd1dull * (uint64_t)(i + 1);
        clients[i] = async_spawn(run_clients(&plans[i]));
    }
    for (int i = 0; i < THREADS; i++) {
        await(clients[i]);
        async_task_release(clients[i]);
        for (int k = 0; k < KINDS; k++) {
            made[k] += plans[i].made[k];
            ok[k] += plans[i].ok[k];
            total += plans[i].made[k];
        }
        if (plans[i].why[0] != '\0') {
            printf("thread %d: %s\n", i, plans[i].why);
            rc = 1;
        }
    }
    /* The clients are gone; the server sees the last of them end. */
    for (int i = 0; i < 500 && s.finished < total; i++)
        await(async_sleep(0.01));
    printf("server up after the clients: %s\n",
           async_task_done(server) ? "no" : "yes");
    async_cancel(server);
    async_try(await(server), &err);
    async_task_release(server);
    close(lfd);
    fprintf(stderr,
            "%d connections in %.2f s, at most %d at once, %ld lines, %d idle "
            "hang-ups, %d peer errors; %d descriptors open in the loop\n",
            total, async_time() - t0, s.max_open, s.lines, s.idle_closed,
            s.peer_errors, count_fds() - fds_before);
    for (int k = 0; k < KINDS; k++)
        printf("%s: %d of %d as expected\n", kind_names[k], ok[k], made[k]);
    printf("handlers: %d started, %d finished, %d still open\n", s.started,
           s.finished, s.open);
    printf("stalled connections hung up by the server: %s\n",
           s.idle_closed >= made[STALL] ? "all" : "not all");
    printf("server stopped: %s\n", async_strerror(err));
    for (int k = 0; k < KINDS; k++)
        rc |= ok[k] != made[k];
    return rc | (s.started != total) | (s.finished != total);
}

int main(void) {
    int before = count_fds(), rc, after;

    /* One worker thread per client thread, all at once. */
    setenv("ASYNCRT_THREADS", "16", 1);
    rc = async_run(amain(before));
    after = count_fds();
    printf("descriptors open after the run: %d more than before\n",
           after - before);
    return rc != 0 || after != before;
}
