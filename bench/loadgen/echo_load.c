/*
 * echo_load.c -- a load generator for the echo servers: round trips over
 * many connections from one thread, with epoll.
 *
 *     echo_load HOST PORT CONNECTIONS SECONDS [MSGSIZE=64] [TOTAL=0]
 *
 * It opens CONNECTIONS connections to HOST:PORT; each sends a message of
 * MSGSIZE bytes, waits until the whole message has come back, and sends
 * the next (one round trip in flight per connection), until SECONDS have
 * passed or, when TOTAL > 0, TOTAL round trips are done.  Then it prints
 * one line on stdout:
 *
 *     {"requests":R,"seconds":S,"rps":R/S,"p50_us":..,"p99_us":..,
 *      "errors":E}
 *
 * R counts completed round trips, S runs from the first connect to the
 * end, and the percentiles are of the round trips' latencies (from the
 * first byte sent to the last byte received).  Every echoed byte is
 * compared with what was sent (each message has its own contents, so a
 * lost, repeated or misplaced byte shows), and a mismatch, a failed
 * connect, a reset or an early end of stream counts as an error and
 * closes that connection; the others go on.  Nothing waits longer than
 * the deadline, so an unreachable or stuck server cannot make it hang;
 * a connect still pending then, or a round trip still unanswered after
 * a second, counts as an error too.
 * The exit status is 0 when there were no errors and round trips were
 * made, 1 otherwise, 2 for bad arguments.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Latencies in nanoseconds go into a log-linear histogram: values below
 * EXACT have a bucket each, above that every power of two is cut into
 * SUB buckets, so a percentile is off by less than 1/SUB (0.8%). */
enum {
    SUB_BITS = 7,
    SUB = 1 << SUB_BITS,
    EXACT = 2 * SUB,
    OCTAVES = 40, /* up to 2^48 ns: far beyond any deadline */
    NBUCKETS = EXACT + OCTAVES * SUB
};

enum { MAX_EVENTS = 256 };

static const uint64_t STALL_NS = 1000000000u; /* see the end of main */

struct conn {
    int fd;           /* -1 once closed */
    int connected;    /* the non-blocking connect has completed */
    int want_out;     /* EPOLLOUT is in the interest set */
    unsigned seq;     /* message number, which sets its contents */
    size_t sent, got; /* bytes of the current message */
    uint64_t t_start; /* when its first byte was sent */
    unsigned char *msg;
};

static size_t msgsize = 64;
static long total;    /* stop after this many round trips (0: no limit) */
static long started;  /* round trips begun */
static long requests; /* round trips completed */
static long errors;
static int live; /* connections open */
static int ep;
static uint64_t hist[NBUCKETS];

static uint64_t now_ns(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t bucket_of(uint64_t v) {
    if (v < EXACT)
        return (size_t)v;
    int e = 63 - __builtin_clzll(v); /* e > SUB_BITS */
    size_t i = EXACT + (size_t)(e - SUB_BITS - 1) * SUB +
               (size_t)((v >> (e - SUB_BITS)) & (SUB - 1));
    return i < NBUCKETS ? i : NBUCKETS - 1;
}

/* The middle of bucket i. */
static double bucket_value(size_t i) {
    if (i < EXACT)
        return (double)i;
    int e = (int)((i - EXACT) / SUB) + SUB_BITS + 1;
    uint64_t sub = (i - EXACT) % SUB;
    uint64_t width = (uint64_t)1 << (e - SUB_BITS);

    return (double)((SUB + sub) * width) + (double)width / 2;
}

/* The p-th quantile (0 < p <= 1) of the recorded latencies, in us. */
static double percentile_us(double p) {
    uint64_t count = 0, seen = 0, rank;

    for (size_t i = 0; i < NBUCKETS; i++)
        count += hist[i];
    if (count == 0)
        return 0;
    rank = (uint64_t)(p * (double)count + 0.999999);
    if (rank < 1)
        rank = 1;
    for (size_t i = 0; i < NBUCKETS; i++) {
        seen += hist[i];
        if (seen >= rank)
            return bucket_value(i) / 1000;
    }
    return bucket_value(NBUCKETS - 1) / 1000;
}

/* The byte at offset k of message `seq` on connection `c`: it differs
 * between neighbouring bytes, messages and connections. */
static unsigned char pattern(const struct conn *c, size_t k) {
    return (unsigned char)(c->seq * 131u + (unsigned)k * 7u +
                           (unsigned)c->fd * 17u);
}

static void conn_close(struct conn *c, const char *why) {
    if (why != NULL) {
        errors++;
        fprintf(stderr, "echo_load: connection %d: %s\n", c->fd, why);
    }
    close(c->fd); /* also drops it from the epoll set */
    c->fd = -1;
    live--;
}

static int set_interest(struct conn *c, int want_out) {
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0),
                             .data.ptr = c};

    if (c->want_out == want_out)
        return 0;
    c->want_out = want_out;
    return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what the socket takes of the current message; 0 or -1. */
static int pump_out(struct conn *c) {
    while (c->sent < msgsize) {
        ssize_t n =
            send(c->fd, c->msg + c->sent, msgsize - c->sent, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_close(c, strerror(errno));
            return -1;
        }
        c->sent += (size_t)n;
    }
    if (set_interest(c, c->sent < msgsize) != 0) {
        conn_close(c, strerror(errno));
        return -1;
    }
    return 0;
}

/* Starts the next round trip, unless TOTAL has been reached; 0 or -1. */
static int start_message(struct conn *c) {
    if (total > 0 && started >= total) {
        conn_close(c, NULL);
        return -1;
    }
    started++;
    c->seq++;
    c->sent = c->got = 0;
    for (size_t k = 0; k < msgsize; k++)
        c->msg[k] = pattern(c, k);
    c->t_start = now_ns();
    return pump_out(c);
}

/* Reads and checks what has arrived; completes round trips; 0 or -1. */
static int pump_in(struct conn *c) {
    unsigned char in[65536];

    for (;;) {
        size_t want = msgsize - c->got;
        ssize_t n = recv(c->fd, in, want < sizeof in ? want : sizeof in, 0);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            conn_close(c, strerror(errno));
            return -1;
        }
        if (n == 0) {
            conn_close(c, "closed by the server");
            return -1;
        }
        if (c->got + (size_t)n > c->sent) {
            conn_close(c, "more bytes echoed than sent");
            return -1;
        }
        for (ssize_t k = 0; k < n; k++)
            if (in[k] != c->msg[c->got + (size_t)k]) {
                conn_close(c, "echoed byte differs from the one sent");
                return -1;
            }
        c->got += (size_t)n;
        if (c->got == msgsize) {
            hist[bucket_of(now_ns() - c->t_start)]++;
            requests++;
            if (start_message(c) != 0)
                return -1;
        }
    }
}

static void on_event(struct conn *c, uint32_t events) {
    if (!c->connected) {
        int err = 0;
        socklen_t len = sizeof err;

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            err = errno;
        if (err != 0) {
            conn_close(c, strerror(err));
            return;
        }
        c->connected = 1;
        start_message(c);
        return;
    }
    /* On EPOLLERR or EPOLLHUP the read or write reports the error. */
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && pump_in(c) != 0)
        return;
    if ((events & EPOLLOUT) && c->fd >= 0)
        pump_out(c);
}

static int open_conn(struct conn *c, const struct addrinfo *ai) {
    int one = 1;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};

    c->fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               ai->ai_protocol);
    if (c->fd < 0) {
        errors++;
        fprintf(stderr, "echo_load: socket: %s\n", strerror(errno));
        return -1;
    }
    live++;
    /* Small messages: send each at once rather than wait for an ACK. */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
        errno != EINPROGRESS) {
        conn_close(c, strerror(errno));
        return -1;
    }
    /* Writable means connected (or failed): on_event finds out which. */
    c->want_out = 1;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        conn_close(c, strerror(errno));
        return -1;
    }
    return 0;
}

static long parse_long(const char *s, const char *what, long min) {
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min) {
        fprintf(stderr, "echo_load: bad %s '%s'\n", what, s);
        exit(2);
    }
    return v;
}

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s HOST PORT CONNECTIONS SECONDS [MSGSIZE=64] "
            "[TOTAL=0]\n",
            argv0);
    exit(2);
}

int main(int argc, char **argv) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    struct epoll_event events[MAX_EVENTS];
    struct rlimit rl;
    struct conn *conns;
    long nconns;
    double seconds;
    char *end;
    uint64_t t0, deadline, t_end;
    int rc;

    if (argc < 5 || argc > 7)
        usage(argv[0]);
    nconns = parse_long(argv[3], "CONNECTIONS", 1);
    errno = 0;
    seconds = strtod(argv[4], &end);
    if (errno != 0 || end == argv[4] || *end != '\0' || !(seconds > 0) ||
        seconds > 1e6) {
        fprintf(stderr, "echo_load: bad SECONDS '%s'\n", argv[4]);
        return 2;
    }
    if (argc > 5)
        msgsize = (size_t)parse_long(argv[5], "MSGSIZE", 1);
    if (argc > 6)
        total = parse_long(argv[6], "TOTAL", 0);

    rc = getaddrinfo(argv[1], argv[2], &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "echo_load: %s:%s: %s\n", argv[1], argv[2],
                gai_strerror(rc));
        return 2;
    }
    /* Room for one descriptor per connection, if the hard limit allows. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
        rl.rlim_cur < (rlim_t)nconns + 16) {
        rl.rlim_cur = (rlim_t)nconns + 16 < rl.rlim_max ? (rlim_t)nconns + 16
                                                        : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    conns = calloc((size_t)nconns, sizeof *conns);
    if (ep < 0 || conns == NULL) {
        fprintf(stderr, "echo_load: out of resources\n");
        return 1;
    }

    t0 = now_ns();
    deadline = t0 + (uint64_t)(seconds * 1e9);
    for (long i = 0; i < nconns; i++) {
        conns[i].msg = malloc(msgsize);
        if (conns[i].msg == NULL) {
            fprintf(stderr, "echo_load: out of memory\n");
            return 1;
        }
        open_conn(&conns[i], ai);
    }
    freeaddrinfo(ai);

    while (live > 0) {
        uint64_t t = now_ns();

        if (t >= deadline)
            break;
        /* Round up, so that a wait does not end just short of it. */
        int timeout = (int)((deadline - t + 999999) / 1000000);
        int n = epoll_wait(ep, events, MAX_EVENTS, timeout);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "echo_load: epoll_wait: %s\n", strerror(errno));
            errors++;
            break;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;

            /* An earlier event in this batch may have closed it. */
            if (c->fd >= 0)
                on_event(c, events[i].events);
        }
    }
    t_end = now_ns();

    /* A connect still pending at the deadline failed; a round trip that
     * has waited over STALL_NS for its echo is a server that stopped
     * answering, not one the deadline happened to cut. */
    for (long i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];

        if (c->fd >= 0 && !c->connected)
            conn_close(c, "connect timed out");
        else if (c->fd >= 0 && t_end - c->t_start > STALL_NS)
            conn_close(c, "no echo for over a second");
        else if (c->fd >= 0)
            conn_close(c, NULL);
        free(c->msg);
    }
    free(conns);
    close(ep);

    double elapsed = (double)(t_end - t0) * 1e-9;

    printf("{\"requests\":%ld,\"seconds\":%.6f,\"rps\":%.1f,\"p50_us\":%.1f,"
           "\"p99_us\":%.1f,\"errors\":%ld}\n",
           requests, elapsed, elapsed > 0 ? (double)requests / elapsed : 0.0,
           percentile_us(0.50), percentile_us(0.99), errors);
    return errors == 0 && requests > 0 ? 0 : 1;
}
