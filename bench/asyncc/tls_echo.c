/*
 * tls_echo: TLS echo round trips, client and server in this one
 * program on one loop: CONNS connections (after their handshakes) each
 * send a 64-byte message and wait for it to come back, N round trips in
 * all.  Certificates come from the directory $ASYNCC_BENCH_CERTS
 * (tests/unit/tls/make_certs.sh: ca.pem, server.pem, server.key).
 *
 *     tls_echo [N=100000]
 *
 * ops = N round trips; check = bytes echoed.
 */
#include <async.h>
#include <async/tls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/bench.h"

enum { CONNS = 10, MSG = 64 };

static async_tls_context *server_ctx, *client_ctx;
static long echoed;

async void handle(int fd, void *arg) {
    async_tls_stream *s = NULL;
    char buf[4096];
    ssize_t n;

    (void)arg;
    if (async_tls_stream_new(&s, server_ctx, fd, NULL) != 0)
        return;
    async_defer { async_tls_stream_free(s); }
    await(async_tls_handshake(s, 10));
    while ((n = await(async_tls_read(s, buf, sizeof buf))) > 0)
        await(async_tls_write(s, buf, (size_t)n));
    await(async_tls_shutdown(s, 10));
}

async void serve(int lfd) { await(async_serve(lfd, handle, NULL)); }

/* Handshake done: waits on `go`, then `rounds` round trips. */
async void client(int port, long rounds, async_event *ready, int *n_ready,
                  async_event *go) {
    char out[MSG], in[MSG];
    async_tls_stream *s =
        await(async_tls_connect("localhost", port, client_ctx, 10));

    async_defer { async_tls_stream_free(s); }
    memset(out, 'x', sizeof out);
    if (++*n_ready == CONNS)
        async_event_set(ready);
    await(async_event_wait(go));
    for (long r = 0; r < rounds; r++) {
        size_t got = 0;
        await(async_tls_write(s, out, MSG));
        while (got < MSG)
            got += (size_t)await(async_tls_read(s, in + got, MSG - got));
        echoed += MSG;
    }
    await(async_tls_shutdown(s, 10));
}

async int amain(long n) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 128),
        port = async_local_port(lfd);
    async_task *server = async_spawn(serve(lfd)), *c[CONNS];
    async_event ready, go;
    int n_ready = 0, err;
    long before;
    double t0;

    async_event_init(&ready);
    async_event_init(&go);
    for (int i = 0; i < CONNS; i++)
        c[i] = async_spawn(
            client(port, n / CONNS + (i < n % CONNS), &ready, &n_ready, &go));
    await(async_event_wait(&ready));
    before = bench_status_kb("VmRSS");
    t0 = bench_now();
    async_event_set(&go);
    for (int i = 0; i < CONNS; i++)
        await(c[i]);
    double secs = bench_now() - t0;
    async_cancel(server);
    async_try(await(server), &err);
    close(lfd);
    bench_report("tls_echo", "asyncc", n, secs, (double)n, before,
                 (double)echoed);
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = getenv("ASYNCC_BENCH_CERTS");
    char ca[512], cert[512], key[512];
    async_tls_client_options o = {0};
    long n = bench_arg_n(argc, argv, 100000);

    if (dir == NULL) {
        fprintf(stderr, "tls_echo: set ASYNCC_BENCH_CERTS\n");
        return 2;
    }
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    o.ca_file = ca;
    if (async_tls_server_context(&server_ctx, cert, key) != 0 ||
        async_tls_client_context(&client_ctx, &o) != 0) {
        fprintf(stderr, "tls_echo: %s\n", async_tls_error_string(NULL));
        return 1;
    }
    int rc = async_run(amain(n));
    async_tls_context_free(server_ctx);
    async_tls_context_free(client_ctx);
    return rc != 0;
}
