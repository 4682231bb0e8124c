/*
 * echo_server (hand-written C) -- a TCP echo server on 127.0.0.1 with
 * one state machine per connection on epoll, for the load generator
 * bench/loadgen/echo_load.
 *
 *     echo_server N PORT      (N is ignored; PORT 0: an ephemeral port)
 *
 * It prints "PORT <n>" on stderr once it listens, echoes every byte it
 * reads on each connection until the client closes it, and runs until
 * SIGINT or SIGTERM; then it prints the bench_report line:
 *
 *     n       = connections accepted
 *     ops     = messages echoed = bytes echoed / 64 (the load
 *               generator's messages are 64 bytes)
 *     check   = bytes echoed
 *     seconds = from the first accepted connection to the signal
 *
 * Every descriptor is registered once, edge-triggered, with its state
 * machine as the event's data (the listening socket, a signalfd for
 * the two signals, and each connection for reading and writing), and an
 * event resumes that state machine at once: no run queue, no epoll_ctl
 * after the first.  A connection reads whatever has arrived, up to its
 * buffer, and writes it back whole before reading again, until a read
 * comes back short or reports EAGAIN (the edge-triggered contract); a
 * client that does not read cannot make it buffer without bound.
 *
 * Built by bench/run.py:
 *     cc -std=c11 -O2 -DNDEBUG -D_GNU_SOURCE -I bench/common \
 *         bench/handwritten/echo_server.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, signalfd, clock_gettime */
#endif
#include "../common/bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw_rt.h"

enum { BUF_SIZE = 65536, BACKLOG = 1024, MAX_EVENTS = 256 };

static int epfd;
static int stopping;   /* a signal came: hw_run returns */
static double bytes;   /* echoed */
static double t_first; /* first accepted connection, or 0 */
static double t_stop;  /* the signal */
static long accepted;  /* connections */

/* Resumes the state machine of each event.  A connection that ends is
 * closed and freed by its own resume; each descriptor has one event per
 * epoll_wait, so no later event of the batch can name it. */
static int hw_io_wait(uint64_t timeout_ns) {
    struct epoll_event ev[MAX_EVENTS];
    int n;

    if (stopping)
        return 0;
    n = epoll_wait(
        epfd, ev, MAX_EVENTS,
        timeout_ns == UINT64_MAX ? -1 : (int)((timeout_ns + 999999) / 1000000));
    for (int i = 0; i < n; i++) {
        hw_task *t = ev[i].data.ptr;

        t->resume(t);
    }
    return 1;
}

static int watch(int fd, uint32_t events, hw_task *t) {
    struct epoll_event ev = {.events = events | EPOLLET, .data.ptr = t};

    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* conn.state */
enum {
    READING, /* waits for bytes (an EPOLLIN edge) */
    WRITING  /* buf[off..len) still has to go out (an EPOLLOUT edge) */
};

struct conn {
    hw_task task;
    int fd;
    int state;
    size_t len, off;
    char buf[BUF_SIZE];
};

/* Closing the descriptor also takes it out of the epoll set. */
static void conn_end(struct conn *c) {
    close(c->fd);
    free(c);
}

static void conn_resume(hw_task *me) {
    struct conn *c = (struct conn *)me;
    /* Set while the bytes in buf came from a read before this resume:
     * EPOLLIN edges may have come and gone while the write waited, so
     * a short read then proves nothing and the socket must be read
     * again. */
    int stale = 0;

    switch (c->state) {
    case READING:
        break;
    case WRITING:
        stale = 1;
        goto write;
    }
    for (;;) {
        ssize_t n = read(c->fd, c->buf, sizeof c->buf);

        if (n <= 0) {
            if (n < 0 && errno == EAGAIN)
                return; /* the next EPOLLIN edge resumes here */
            if (n < 0 && errno == EINTR)
                continue;
            conn_end(c); /* end of stream, or reset */
            return;
        }
        c->len = (size_t)n;
        c->off = 0;
        c->state = WRITING;
        stale = 0;
    write:
        while (c->off < c->len) {
            /* MSG_NOSIGNAL: a reset peer fails the write with EPIPE
             * instead of killing the server with SIGPIPE. */
            ssize_t w =
                send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);

            if (w < 0) {
                if (errno == EAGAIN)
                    return; /* the next EPOLLOUT edge resumes here */
                if (errno == EINTR)
                    continue;
                conn_end(c);
                return;
            }
            c->off += (size_t)w;
        }
        c->state = READING;
        bytes += (double)c->len;
        /* A short read drained the socket (epoll(7) on stream sockets):
         * whatever comes next raises a new edge, so the read that would
         * only say EAGAIN is skipped, as libuv skips it. */
        if (c->len < sizeof c->buf && !stale)
            return;
    }
}

static struct {
    hw_task task;
    int fd;
} listener;

/* Accepts until the backlog is empty (edge-triggered).  Out of
 * descriptors or memory, the pending connections wait for the next
 * connection's edge: enough for a benchmark with a fixed client count. */
static void listener_resume(hw_task *me) {
    (void)me;
    for (;;) {
        int one = 1;
        int fd = accept4(listener.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct conn *c;

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN)
                perror("accept4");
            return;
        }
        c = malloc(sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->task.resume = conn_resume;
        c->fd = fd;
        c->state = READING;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP, &c->task) != 0) {
            conn_end(c);
            continue;
        }
        if (accepted++ == 0)
            t_first = bench_now();
        /* Bytes that came before the registration are reported by it:
         * EPOLL_CTL_ADD queues an event for a descriptor already ready. */
    }
}

static struct {
    hw_task task;
    int fd;
} sig;

static void sig_resume(hw_task *me) {
    (void)me;
    t_stop = bench_now();
    stopping = 1;
}

int main(int argc, char **argv) {
    char *end = NULL;
    long port = argc >= 3 ? strtol(argv[2], &end, 10) : -1;
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof addr;
    sigset_t mask;
    long rss_before;
    int one = 1;

    if (argc < 3 || *end != '\0' || port < 0 || port > 65535) {
        fprintf(stderr, "usage: %s N PORT  (0: an ephemeral port)\n", argv[0]);
        return 2;
    }
    rss_before = bench_status_kb("VmRSS");
    epfd = epoll_create1(EPOLL_CLOEXEC);
    /* The signals are read from a signalfd, so they must not be
     * delivered the usual way. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    sig.task.resume = sig_resume;
    listener.fd =
        socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    listener.task.resume = listener_resume;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (epfd < 0 || sig.fd < 0 || listener.fd < 0 ||
        bind(listener.fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(listener.fd, BACKLOG) != 0 ||
        getsockname(listener.fd, (struct sockaddr *)&addr, &len) != 0 ||
        watch(listener.fd, EPOLLIN, &listener.task) != 0 ||
        watch(sig.fd, EPOLLIN, &sig.task) != 0) {
        perror("echo_server");
        return 1;
    }
    fprintf(stderr, "PORT %d\n", ntohs(addr.sin_port));
    hw_run();
    bench_report("echo_server", "handwritten", accepted,
                 t_first > 0 ? t_stop - t_first : 0, bytes / 64, rss_before,
                 bytes);
    return 0;
}
