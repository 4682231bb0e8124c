/*
 * echo_server.c -- a TCP echo server on libuv: uv_tcp_t per connection,
 * each read written back.
 *
 *     echo_server N PORT      (N is ignored; PORT 0: an ephemeral port)
 *
 * It listens on 127.0.0.1, prints "PORT <n>" on stderr, and on SIGINT or
 * SIGTERM stops and prints the bench_report line: n = connections
 * accepted, ops = messages = bytes echoed / 64, check = bytes echoed,
 * seconds from the first accepted connection to the signal.
 *
 * Each connection owns one read buffer.  A read is written back with
 * uv_try_write, which for small messages completes at once without a
 * write request or a copy; only when the socket's send buffer is full
 * does the rest go to uv_write, and reading stops until that write is
 * done -- the backpressure an echo server needs so that a client that
 * does not read cannot make it buffer without bound.
 */
#define _POSIX_C_SOURCE 200809L
#include "../common/bench.h"
#include <signal.h>
#include <uv.h>

enum { BUF_SIZE = 65536, BACKLOG = 1024 };

struct conn {
    uv_tcp_t tcp; /* first, so that a handle pointer is a conn pointer */
    uv_write_t write;
    char buf[BUF_SIZE];
};

static uv_tcp_t server;
static uv_signal_t sigint, sigterm;
static double bytes;   /* echoed */
static double t_first; /* first accepted connection, or 0 */
static long accepted;  /* connections */
static long rss_before;

static void on_close(uv_handle_t *h) { free(h); }

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    struct conn *c = (struct conn *)h;

    (void)suggested;
    *buf = uv_buf_init(c->buf, sizeof c->buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void on_written(uv_write_t *req, int status) {
    struct conn *c = (struct conn *)req->handle;

    if (status < 0) {
        if (!uv_is_closing((uv_handle_t *)c))
            uv_close((uv_handle_t *)c, on_close);
        return;
    }
    uv_read_start((uv_stream_t *)c, on_alloc, on_read);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    struct conn *c = (struct conn *)s;

    if (nread < 0) { /* UV_EOF or an error: either way, done */
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    if (nread == 0) /* EAGAIN: nothing to do */
        return;
    bytes += (double)nread;

    uv_buf_t out = uv_buf_init(buf->base, (unsigned)nread);
    int n = uv_try_write(s, &out, 1);

    if (n == UV_EAGAIN)
        n = 0;
    if (n < 0) {
        uv_close((uv_handle_t *)s, on_close);
    } else if (n < nread) {
        /* The rest lives in c->buf, so reading waits for the write. */
        out = uv_buf_init(buf->base + n, (unsigned)(nread - n));
        uv_read_stop(s);
        if (uv_write(&c->write, s, &out, 1, on_written) != 0)
            uv_close((uv_handle_t *)s, on_close);
    }
}

static void on_connection(uv_stream_t *srv, int status) {
    struct conn *c;

    if (status < 0) {
        fprintf(stderr, "accept: %s\n", uv_strerror(status));
        return;
    }
    c = malloc(sizeof *c);
    if (c == NULL) {
        fprintf(stderr, "out of memory\n");
        return;
    }
    uv_tcp_init(srv->loop, &c->tcp);
    if (uv_accept(srv, (uv_stream_t *)c) != 0) {
        uv_close((uv_handle_t *)c, on_close);
        return;
    }
    if (accepted++ == 0)
        t_first = bench_now();
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)c, on_alloc, on_read);
}

/* Closes every handle, so that uv_run returns once the closes are done. */
static void close_any(uv_handle_t *h, void *arg) {
    /* Connections were malloc'd; the server and signals are static. */
    int is_conn = h->type == UV_TCP && h != (uv_handle_t *)&server;

    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, is_conn ? on_close : NULL);
}

static void on_signal(uv_signal_t *sig, int signum) {
    double t_stop = bench_now();

    (void)signum;
    bench_report("echo_server", "libuv", accepted,
                 t_first > 0 ? t_stop - t_first : 0, bytes / 64, rss_before,
                 bytes);
    uv_walk(sig->loop, close_any, NULL);
}

int main(int argc, char **argv) {
    char *end = NULL;
    long port = argc >= 3 ? strtol(argv[2], &end, 10) : -1;
    uv_loop_t *loop = uv_default_loop();
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof bound, rc;

    if (argc < 3 || *end != '\0' || port < 0 || port > 65535) {
        fprintf(stderr, "usage: %s N PORT  (0: an ephemeral port)\n", argv[0]);
        return 2;
    }
    /* A write to a connection the client has reset must fail with EPIPE,
     * not kill the server; libuv leaves SIGPIPE to the program. */
    signal(SIGPIPE, SIG_IGN);
    rss_before = bench_status_kb("VmRSS");
    uv_ip4_addr("127.0.0.1", (int)port, &addr);
    uv_tcp_init(loop, &server);
    rc = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&server, BACKLOG, on_connection);
    if (rc != 0) {
        fprintf(stderr, "listen: %s\n", uv_strerror(rc));
        return 1;
    }
    uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len);
    uv_signal_init(loop, &sigint);
    uv_signal_init(loop, &sigterm);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    fprintf(stderr, "PORT %d\n",
            ntohs(((struct sockaddr_in *)&bound)->sin_port));
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop) == 0 ? 0 : 1;
}
