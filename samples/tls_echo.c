/*
 * tls_echo.c -- a TLS echo server and client on async/tls.h.
 *
 *     tls_echo serve CERT KEY PORT [HOST]
 *         serves on HOST (default 127.0.0.1) and PORT (0: any free
 *         port), printing "port N" on stdout once listening; each
 *         connection gets a handshake within 10 seconds, then every line
 *         comes back until the client shuts the stream down, which is
 *         answered with close_notify.  Ctrl-C or SIGTERM stops it.
 *     tls_echo client HOST PORT CAFILE LINE...
 *         connects to HOST (the name verified in the certificate),
 *         trusting the CAs of CAFILE, sends each LINE, prints what comes
 *         back, and shuts down.
 *
 * Like asyncio's start_server(..., ssl=ctx) and
 * open_connection(..., ssl=ctx):
 *
 *     async def handle(reader, writer):
 *         while line := await reader.readline():
 *             writer.write(line)
 *         writer.close(); await writer.wait_closed()
 *
 * Exit status: 0, 1 on a failure (with the reason on stderr), 2 for
 * usage errors.
 */
#include <async.h>
#include <async/tls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One connection: the server closes `fd` after this returns. */
async void handle(int fd, void *arg) {
    async_tls_context *ctx = arg;
    async_tls_stream *s = NULL;
    char line[4096];
    ssize_t n;
    int err = 0, rc = async_tls_stream_new(&s, ctx, fd, NULL);

    if (rc != 0)
        async_raise(rc);
    async_defer {
        if (async_failing() != 0 && async_failing() != ASYNC_ECANCELED)
            fprintf(stderr, "tls_echo: connection: %s (%s)\n",
                    async_tls_strerror(async_failing()),
                    async_tls_error_string(s));
        async_tls_stream_free(s);
    }
    await(async_tls_handshake(s, 10));
    while ((n = await(async_tls_read_line(s, line, sizeof line))) > 0)
        await(async_tls_write(s, line, (size_t)n));
    async_try(await(async_tls_shutdown(s, 5)), &err);
}

async int serve(const char *cert, const char *key, int port, const char *host) {
    async_tls_context *ctx;
    int lfd, rc = async_tls_server_context(&ctx, cert, key);

    if (rc != 0) {
        fprintf(stderr, "tls_echo: %s: %s\n", async_tls_strerror(rc),
                async_tls_error_string(NULL));
        return 1;
    }
    if ((lfd = async_tcp_listen(host, port, 128)) < 0) {
        fprintf(stderr, "tls_echo: listen: %s\n", async_strerror(lfd));
        async_tls_context_free(ctx);
        return 1;
    }
    printf("port %d\n", async_local_port(lfd));
    fflush(stdout);
    async_shutdown_on_signals();
    async_try(await(async_serve(lfd, handle, ctx)), &rc);
    close(lfd);
    async_tls_context_free(ctx);
    return 0;
}

async int client(const char *host, int port, const char *ca, char **lines,
                 int n) {
    async_tls_client_options o = {.ca_file = ca};
    async_tls_context *ctx;
    async_tls_stream *s;
    char back[4096], out[4096];
    int rc = async_tls_client_context(&ctx, &o), err = 0;

    if (rc != 0) {
        fprintf(stderr, "tls_echo: %s: %s\n", async_tls_strerror(rc),
                async_tls_error_string(NULL));
        return 1;
    }
    s = async_try(await(async_tls_connect(host, port, ctx, 10)), &err);
    if (err != 0) {
        fprintf(stderr, "tls_echo: connect: %s (%s)\n", async_tls_strerror(err),
                async_tls_error_string(NULL));
        async_tls_context_free(ctx);
        return 1;
    }
    for (int i = 0; i < n && err == 0; i++) {
        ssize_t got;

        snprintf(out, sizeof out, "%s\n", lines[i]);
        async_try(await(async_tls_write(s, out, strlen(out))), &err);
        got = async_try(await(async_tls_read_line(s, back, sizeof back)), &err);
        if (err == 0 && got > 0)
            fputs(back, stdout);
    }
    if (err == 0)
        async_try(await(async_tls_shutdown(s, 5)), &err);
    if (err != 0)
        fprintf(stderr, "tls_echo: %s (%s)\n", async_tls_strerror(err),
                async_tls_error_string(s));
    async_tls_stream_free(s);
    async_tls_context_free(ctx);
    return err != 0;
}

static int usage(void) {
    fprintf(stderr, "usage: tls_echo serve CERT KEY PORT [HOST]\n"
                    "       tls_echo client HOST PORT CAFILE LINE...\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc >= 5 && argc <= 6 && strcmp(argv[1], "serve") == 0)
        return async_run(serve(argv[2], argv[3], atoi(argv[4]),
                               argc == 6 ? argv[5] : "127.0.0.1"));
    if (argc >= 6 && strcmp(argv[1], "client") == 0)
        return async_run(
            client(argv[2], atoi(argv[3]), argv[4], argv + 5, argc - 5));
    return usage();
}
