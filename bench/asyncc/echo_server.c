/*
 * echo_server (asyncc) -- a TCP echo server on 127.0.0.1 with one task
 * per connection, for the load generator bench/loadgen/echo_load.
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
 * async_serve is asyncio's start_server: it accepts connections and
 * spawns echo(fd) for each, and async_shutdown_on_signals turns the
 * signal into a cancellation of every task, which the main task catches
 * to report.  A connection that fails (reset by the client) just ends.
 * Each handler reads whatever has arrived, up to its buffer, and writes
 * it back whole before reading again: a client that does not read
 * cannot make the server buffer without bound.
 *
 * Built by bench/run.py (from the repository's root):
 *     build/transpiler/asyncc bench/asyncc/echo_server.c -o out.c \
 *         -- -I runtime/include
 *     cc -std=c11 -O2 -DNDEBUG -I runtime/include -I bench/common out.c \
 *         build/runtime/libasyncrt.a -lpthread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#include <async.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

enum { BUF_SIZE = 65536, BACKLOG = 1024 };

static double bytes;   /* echoed */
static double t_first; /* first accepted connection, or 0 */
static long accepted;  /* connections */

/* Echoes connection `fd` (which async_serve owns and closes) until the
 * client closes it or the connection fails. */
async void echo(int fd, void *arg) {
    char buf[BUF_SIZE];
    ssize_t n;
    int err;
    int one = 1;

    (void)arg;
    if (accepted++ == 0)
        t_first = bench_now();
    /* Each message goes out in one write, so Nagle's algorithm would not
     * delay it; set anyway, as the other servers do. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while ((n = async_try(await(async_read(fd, buf, sizeof buf)), &err)) > 0) {
        async_try(await(async_write(fd, buf, (size_t)n)), &err);
        if (err != 0)
            break;
        bytes += (double)n;
    }
    if (err == ASYNC_ECANCELED)
        async_raise(err); /* the shutdown: a cancelled task says so */
}

/* Serves on 127.0.0.1:port until the shutdown cancels it. */
async int serve(int port) {
    int lfd = async_tcp_listen("127.0.0.1", port, BACKLOG);
    int err;

    if (lfd < 0) {
        fprintf(stderr, "listen: %s\n", async_strerror(lfd));
        return 1;
    }
    fprintf(stderr, "PORT %d\n", async_local_port(lfd));
    async_try(await(async_serve(lfd, echo, NULL)), &err);
    close(lfd);
    if (err != ASYNC_ECANCELED) {
        fprintf(stderr, "serve: %s\n", async_strerror(err));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    char *end = NULL;
    long port = argc >= 3 ? strtol(argv[2], &end, 10) : -1;
    long rss_before;

    if (argc < 3 || *end != '\0' || port < 0 || port > 65535) {
        fprintf(stderr, "usage: %s N PORT  (0: an ephemeral port)\n", argv[0]);
        return 2;
    }
    rss_before = bench_status_kb("VmRSS");
    if (async_shutdown_on_signals() != 0)
        return 1;
    if (async_run(serve((int)port)) != 0)
        return 1;
    bench_report("echo_server", "asyncc", accepted,
                 t_first > 0 ? bench_now() - t_first : 0, bytes / 64,
                 rss_before, bytes);
    return 0;
}
