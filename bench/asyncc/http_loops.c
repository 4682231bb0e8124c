/*
 * http_loops (asyncc) -- two ways to spread a server's connections over
 * loops, with one handler: the measurement behind async_tcp_listen_shared.
 *
 *     http_loops reuseport|handoff LOOPS PORT
 *
 * Runs LOOPS loops (async_run_loops), prints "listening on PORT" on
 * stdout (PORT 0: an ephemeral port) and answers GET / (the page) and
 * GET /hash?rounds=K over keep-alive connections as samples/http.c does
 * (the FNV-1a of its page, K times over); anything else gets a 404.  A
 * request with "Connection: close" closes its connection after the
 * response, so that a client can open one per request.  The designs:
 *
 *   reuseport  each loop has its own listening socket on the port
 *              (async_tcp_listen_shared) and serves it with async_serve:
 *              the kernel picks a socket for each connection by a hash
 *              of the client's address and port;
 *   handoff    loop 0 alone accepts (async_accept on one socket) and
 *              hands each connection to the loops in turn, itself
 *              included, through one async_channel per loop; each loop
 *              runs a task per connection it receives.
 *
 * SIGINT or SIGTERM stops every loop (async_shutdown_on_signals).  The
 * handler is minimal (no timeouts, no request bodies): what differs
 * between the two runs is only how connections reach the loops.
 *
 * Built by bench/run.py, as bench/asyncc/ping_pong.c is.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <async.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { LOOPS_MAX = 64, IN_SIZE = 4096, ROUNDS_MAX = 100000 };

/* samples/http.c's page, byte for byte: the bytes that /hash hashes. */
static const char page[] =
    "<!DOCTYPE html>\n"
    "<html><head><title>asyncc</title></head>\n"
    "<body><h1>Hello from asyncc</h1>\n"
    "<p>An HTTP/1.1 server written with async/await in C.</p>\n"
    "</body></html>\n";

struct server {
    int handoff;
    int loops;
    int listen_fds[LOOPS_MAX];    /* reuseport: one per loop; handoff: [0] */
    async_channel *to[LOOPS_MAX]; /* handoff: connections for loop i */
};

static uint32_t fnv1a_rounds(const char *p, size_t len, long rounds) {
    uint32_t h = 2166136261u;

    for (long r = 0; r < rounds; r++)
        for (size_t i = 0; i < len; i++)
            h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* The response to the request whose head starts at `req`, into out;
 * *close is set when the head asks to close the connection after it. */
static size_t answer(const char *req, char *out, size_t size, int *close) {
    char hash[64];
    const char *status = "200 OK", *type = "text/plain", *body = hash;
    long rounds = 0;

    if (strncmp(req, "GET /hash?rounds=", 17) == 0)
        rounds = strtol(req + 17, NULL, 10);
    if (rounds >= 1 && rounds <= ROUNDS_MAX) {
        snprintf(hash, sizeof hash, "fnv1a %08x\n",
                 (unsigned)fnv1a_rounds(page, sizeof page - 1, rounds));
    } else if (strncmp(req, "GET / ", 6) == 0) {
        type = "text/html; charset=utf-8";
        body = page;
    } else {
        status = "404 Not Found";
        body = "not found\n";
    }
    *close = strcasestr(req, "\r\nConnection: close\r\n") != NULL;
    return (size_t)snprintf(out, size,
                            "HTTP/1.1 %s\r\n"
                            "Server: asyncc-http\r\n"
                            "Content-Type: %s\r\n"
                            "Content-Length: %zu\r\n"
                            "Connection: %s\r\n"
                            "\r\n%s",
                            status, type, strlen(body),
                            *close ? "close" : "keep-alive", body);
}

/* Requests on connection `fd` until the client closes it or asks to:
 * each complete head in the buffer is answered in turn (pipelined ones
 * too). */
async void converse(int fd) {
    char in[IN_SIZE], out[512];
    size_t len = 0;

    for (;;) {
        ssize_t n = await(async_read(fd, in + len, sizeof in - 1 - len));
        char *start = in, *end;

        if (n <= 0)
            return;
        len += (size_t)n;
        in[len] = '\0';
        while ((end = strstr(start, "\r\n\r\n")) != NULL) {
            int close_after;
            size_t k;

            end[2] = '\0'; /* the head, its last line's CRLF kept */
            k = answer(start, out, sizeof out, &close_after);
            await(async_write(fd, out, k));
            if (close_after)
                return;
            start = end + 4;
        }
        len -= (size_t)(start - in);
        memmove(in, start, len);
        if (len == sizeof in - 1)
            return; /* a head too long for the buffer */
    }
}

/* reuseport: async_serve's handler; the server closes fd. */
async void serve_conn(int fd, void *arg) {
    int err = 0;

    (void)arg;
    async_try(await(converse(fd)), &err);
    if (err == ASYNC_ECANCELED)
        async_raise(err);
}

/* handoff: a connection handed to this loop, closed when done. */
async void owned_conn(int fd) {
    int err = 0;

    async_try(await(converse(fd)), &err);
    close(fd);
    if (err == ASYNC_ECANCELED)
        async_raise(err);
}

/* handoff, loop 0: accepts and deals the connections out in turn. */
async void acceptor(struct server *s) {
    for (int next = 0;; next = (next + 1) % s->loops) {
        int fd = await(async_accept(s->listen_fds[0]));

        await(async_channel_send(s->to[next], (void *)(intptr_t)fd));
    }
}

async int serve_loop(int loop, void *arg) {
    struct server *s = arg;

    if (!s->handoff)
        return await(async_serve(s->listen_fds[loop], serve_conn, NULL));
    if (loop == 0)
        async_task_release(async_spawn(acceptor(s)));
    for (;;) {
        int fd = (int)(intptr_t)await(async_channel_recv(s->to[loop]));
        async_task *t = async_spawn(owned_conn(fd));

        if (t == NULL)
            close(fd);
        async_task_release(t);
    }
}

int main(int argc, char **argv) {
    static struct server s;
    static int results[LOOPS_MAX];
    int port;

    if (argc != 4 || (strcmp(argv[1], "reuseport") != 0 &&
                      strcmp(argv[1], "handoff") != 0)) {
        fprintf(stderr, "usage: %s reuseport|handoff LOOPS PORT\n", argv[0]);
        return 2;
    }
    s.handoff = strcmp(argv[1], "handoff") == 0;
    s.loops = atoi(argv[2]);
    port = atoi(argv[3]);
    if (s.loops < 1 || s.loops > LOOPS_MAX)
        return 2;
    for (int i = 0; i < (s.handoff ? 1 : s.loops); i++) {
        s.listen_fds[i] = async_tcp_listen_shared("127.0.0.1", port, 1024);
        if (s.listen_fds[i] < 0) {
            fprintf(stderr, "listen: %s\n", async_strerror(s.listen_fds[i]));
            return 1;
        }
        port = async_local_port(s.listen_fds[i]);
    }
    for (int i = 0; s.handoff && i < s.loops; i++)
        if ((s.to[i] = async_channel_create(1024)) == NULL)
            return 1;
    if (async_shutdown_on_signals() != 0)
        return 1;
    printf("listening on %d\n", port);
    fflush(stdout);
    if (async_run_loops(s.loops, serve_loop, &s, results) != 0)
        return 1;
    for (int i = 0; s.handoff && i < s.loops; i++) {
        void *fd;

        while (async_channel_try_recv(s.to[i], &fd) == 0)
            close((int)(intptr_t)fd);
        async_channel_destroy(s.to[i]);
    }
    return 0;
}
