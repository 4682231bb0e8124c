/*
 * test_tls.c -- TLS streams (async/tls.h) between a client and a server
 * in this one program over loopback, with certificates that
 * make_certs.sh makes at start-up in a temporary directory: handshake,
 * echo of small and 1 MiB messages, lines, clean shutdown from either
 * side, a truncated connection, verification failures (an unknown CA, a
 * host name that does not match), a handshake deadline against a server
 * that never answers, a peer that does not speak TLS, cancelled reads
 * that lose nothing, many connections at once, and bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/x509_vfy.h>

#include <async.h>
#include <async/tls.h>

static char dir[64];             /* the certificates */
static async_tls_context *srv;   /* server.pem: signed by ca */
static async_tls_context *other; /* other.pem: signed by other-ca */
static async_tls_context *cli;   /* trusts ca only */

static const char *path(const char *name) {
    static char buf[8][128];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static int group_setup(void **state) {
    char cmd[256];
    async_tls_client_options o = {0};

    (void)state;
    snprintf(dir, sizeof dir, "/tmp/asyncc-tls-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(cmd, sizeof cmd, "bash %s %s", TLS_MAKE_CERTS, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "make_certs.sh failed\n");
        return -1;
    }
    o.ca_file = path("ca.pem");
    if (async_tls_server_context(&srv, path("server.pem"),
                                 path("server.key")) != 0 ||
        async_tls_server_context(&other, path("other.pem"),
                                 path("other.key")) != 0 ||
        async_tls_client_context(&cli, &o) != 0) {
        fprintf(stderr, "contexts: %s\n", async_tls_error_string(NULL));
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    char cmd[128];

    (void)state;
    async_tls_context_free(srv);
    async_tls_context_free(other);
    async_tls_context_free(cli);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Servers                                                             */
/* ------------------------------------------------------------------ */

/* What a server does with each connection, and what it saw. */
enum { ECHO, LINES, DRIP, TRUNCATE };
typedef struct server_conf {
    async_tls_context *ctx;
    int mode;
    int handshakes;   /* completed */
    int handshake_rc; /* the last failure, 0 if none */
    int shutdown_rc;  /* the last async_tls_shutdown's result */
    int shutdowns;
} server_conf;

static async void serve_conn(async_tls_stream *s, server_conf *c) {
    char buf[8192];
    ssize_t n;

    switch (c->mode) {
    case ECHO:
        while ((n = await(async_tls_read(s, buf, sizeof buf))) > 0)
            await(async_tls_write(s, buf, (size_t)n));
        break;
    case LINES: {
        static char big[40001];
        memset(big, 'x', 40000);
        big[40000] = '\n';
        await(async_tls_write(s, "one\ntwo\n", 8));
        await(async_tls_write(s, big, sizeof big));
        await(async_tls_write(s, "tail", 4));
        break;
    }
    case DRIP:
        await(async_sleep(0.3));
        await(async_tls_write(s, "hel", 3));
        await(async_sleep(0.3));
        await(async_tls_write(s, "lo\n", 3));
        while (await(async_tls_read(s, buf, sizeof buf)) > 0) {
        }
        break;
    case TRUNCATE:
        await(async_tls_write(s, "abc", 3));
        return; /* closed without close_notify */
    }
    int rc = 0;
    async_try(await(async_tls_shutdown(s, 5)), &rc);
    c->shutdown_rc = rc;
    c->shutdowns++;
}

static async void handler(int fd, void *arg) {
    server_conf *c = arg;
    async_tls_stream *s = NULL;
    int rc;

    assert_int_equal(async_tls_stream_new(&s, c->ctx, fd, NULL), 0);
    async_defer { async_tls_stream_free(s); }
    async_try(await(async_tls_handshake(s, 5)), &rc);
    if (rc != 0) {
        c->handshake_rc = rc;
        return;
    }
    c->handshakes++;
    await(serve_conn(s, c));
}

static async void serve(int lfd, server_conf *c) {
    await(async_serve(lfd, handler, c));
}

static int listen_local(void) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 128);
    assert_true(lfd >= 0);
    return lfd;
}

/* ------------------------------------------------------------------ */
/* Clients                                                             */
/* ------------------------------------------------------------------ */

/* Reads exactly n bytes. */
static async void read_all(async_tls_stream *s, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = await(async_tls_read(s, buf + got, n - got));
        assert_true(r > 0);
        got += (size_t)r;
    }
}

static async void write_all(async_tls_stream *s, const char *buf, size_t n) {
    assert_int_equal(await(async_tls_write(s, buf, n)), (ssize_t)n);
}

/* Connects, echoes `rounds` messages of `len` bytes (the writes and the
 * reads run at once, so a message larger than the socket buffers does
 * not deadlock), shuts down; 1 when all came back. */
static async int echo_client(int port, size_t len, int rounds) {
    async_tls_stream *s = await(async_tls_connect("localhost", port, cli, 5));
    char *out = malloc(len), *in = malloc(len);
    int ok = 1;

    async_defer {
        free(out);
        free(in);
        async_tls_stream_free(s);
    }
    assert_non_null(async_tls_version(s));
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < len; i++)
            out[i] = (char)(i * 7 + (size_t)r);
        memset(in, 0, len);
        await(async_gather(write_all(s, out, len), read_all(s, in, len)));
        ok &= memcmp(out, in, len) == 0;
    }
    assert_int_equal(await(async_tls_shutdown(s, 5)), 0);
    return ok;
}

/* Runs `client` (a task) against a server of conf `c`, then stops the
 * server. */
static async int with_server(server_conf *c, int lfd, async_task *client) {
    async_task *server = async_spawn(serve(lfd, c));
    int err, result = await(client);

    async_cancel(server);
    async_try(await(server), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    return result;
}

static async int echo_test(size_t len, int rounds, int clients) {
    server_conf c = {.ctx = srv, .mode = ECHO};
    int lfd = listen_local(), port = async_local_port(lfd), ok = 1;
    async_task *server = async_spawn(serve(lfd, &c));
    async_task *t[64];

    assert_true(clients <= 64);
    for (int i = 0; i < clients; i++)
        t[i] = async_spawn(echo_client(port, len, rounds));
    for (int i = 0; i < clients; i++)
        ok &= await(t[i]) == 1;
    /* The server answers each client's close_notify with its own. */
    while (c.shutdowns < clients)
        await(async_sleep(0.001));
    async_cancel(server);
    async_try(await(server), &port);
    close(lfd);
    assert_int_equal(c.handshakes, clients);
    assert_int_equal(c.shutdown_rc, 0);
    return ok;
}

static void test_echo_small(void **state) {
    (void)state;
    assert_int_equal(async_run(echo_test(5, 3, 1)), 1);
}

static void test_echo_1mib(void **state) {
    (void)state;
    assert_int_equal(async_run(echo_test(1 << 20, 1, 1)), 1);
}

static void test_many_connections(void **state) {
    (void)state;
    assert_int_equal(async_run(echo_test(100, 10, 50)), 1);
}

/* Lines, and the server's shutdown seen as the end of the stream. */
static async int lines_client(int port) {
    char line[65536];
    async_tls_stream *s = await(async_tls_connect("localhost", port, cli, 5));

    async_defer { async_tls_stream_free(s); }
    assert_int_equal(await(async_tls_read_line(s, line, sizeof line)), 4);
    assert_string_equal(line, "one\n");
    /* A small buffer: pieces of size - 1. */
    assert_int_equal(await(async_tls_read_line(s, line, 3)), 2);
    assert_string_equal(line, "tw");
    assert_int_equal(await(async_tls_read_line(s, line, 3)), 2);
    assert_string_equal(line, "o\n");
    /* 40000 bytes and '\n': pieces of the stream's capacity. */
    assert_int_equal(await(async_tls_read_line(s, line, sizeof line)),
                     ASYNC_TLS_LINE_CAPACITY);
    assert_int_equal(await(async_tls_read_line(s, line, sizeof line)),
                     ASYNC_TLS_LINE_CAPACITY);
    assert_int_equal(await(async_tls_read_line(s, line, sizeof line)),
                     40001 - 2 * ASYNC_TLS_LINE_CAPACITY);
    assert_int_equal(line[40000 - 2 * ASYNC_TLS_LINE_CAPACITY], '\n');
    /* The rest without '\n', then the end (the server's close_notify). */
    assert_int_equal(await(async_tls_read_line(s, line, sizeof line)), 4);
    assert_string_equal(line, "tail");
    assert_int_equal(await(async_tls_read_line(s, line, sizeof line)), 0);
    assert_int_equal(await(async_tls_read(s, line, sizeof line)), 0);
    /* The peer's close_notify came: ours goes, nothing to wait for. */
    assert_int_equal(await(async_tls_shutdown(s, 5)), 0);
    int err = 0;
    async_try(await(async_tls_write(s, "x", 1)), &err);
    assert_int_equal(err, ASYNC_TLS_ESTATE);
    return 1;
}

static async int lines_test(void) {
    server_conf c = {.ctx = srv, .mode = LINES};
    int lfd = listen_local();
    int r = await(
        with_server(&c, lfd, async_spawn(lines_client(async_local_port(lfd)))));
    close(lfd);
    /* The server's shutdown waited for the client's close_notify. */
    assert_int_equal(c.shutdowns, 1);
    assert_int_equal(c.shutdown_rc, 0);
    return r;
}

static void test_lines_and_server_shutdown(void **state) {
    (void)state;
    assert_int_equal(async_run(lines_test()), 1);
}

/* A connection closed without close_notify: the data, then a failure
 * that repeats. */
static async int truncate_client(int port) {
    char buf[16];
    int err = 0;
    async_tls_stream *s = await(async_tls_connect("localhost", port, cli, 5));

    async_defer { async_tls_stream_free(s); }
    await(read_all(s, buf, 3));
    assert_memory_equal(buf, "abc", 3);
    async_try(await(async_tls_read(s, buf, sizeof buf)), &err);
    assert_int_equal(err, ASYNC_TLS_ETRUNCATED);
    async_try(await(async_tls_read_line(s, buf, sizeof buf)), &err);
    assert_int_equal(err, ASYNC_TLS_ETRUNCATED);
    async_try(await(async_tls_shutdown(s, 5)), &err);
    assert_int_equal(err, ASYNC_TLS_ETRUNCATED);
    return 1;
}

static async int truncate_test(void) {
    server_conf c = {.ctx = srv, .mode = TRUNCATE};
    int lfd = listen_local();
    int r = await(with_server(
        &c, lfd, async_spawn(truncate_client(async_local_port(lfd)))));

    close(lfd);
    return r;
}

static void test_truncation(void **state) {
    (void)state;
    assert_int_equal(async_run(truncate_test()), 1);
}

/* ------------------------------------------------------------------ */
/* Verification                                                        */
/* ------------------------------------------------------------------ */

/* A handshake as client naming `name`; its result, with the verify
 * result in *verify. */
static char reason[256]; /* the client stream's error text */

static async int handshake_as(int port, async_tls_context *ctx,
                              const char *name, long *verify) {
    int fd = await(async_tcp_connect("127.0.0.1", port, 5)), rc = 0;
    async_tls_stream *s = NULL;

    async_defer {
        async_tls_stream_free(s);
        close(fd);
    }
    assert_int_equal(async_tls_stream_new(&s, ctx, fd, name), 0);
    async_try(await(async_tls_handshake(s, 5)), &rc);
    *verify = async_tls_verify_result(s);
    snprintf(reason, sizeof reason, "%s", async_tls_error_string(s));
    if (rc != 0) {
        char buf[4];
        int err = 0;
        assert_null(async_tls_version(s));
        async_try(await(async_tls_read(s, buf, sizeof buf)), &err);
        assert_int_equal(err, ASYNC_TLS_ESTATE);
        async_try(await(async_tls_handshake(s, 5)), &err);
        assert_int_equal(err, ASYNC_TLS_ESTATE);
    } else {
        await(async_tls_shutdown(s, 5));
    }
    return rc;
}

static async int verify_test(async_tls_context *server_ctx,
                             async_tls_context *client_ctx, const char *name,
                             long *verify, int *server_rc) {
    server_conf c = {.ctx = server_ctx, .mode = ECHO};
    int lfd = listen_local(), port = async_local_port(lfd), rc, err;
    async_task *server = async_spawn(serve(lfd, &c));

    rc = await(handshake_as(port, client_ctx, name, verify));
    for (int i = 0; i < 2000 && c.handshakes + (c.handshake_rc != 0) == 0; i++)
        await(async_sleep(0.001));
    *server_rc = c.handshake_rc;
    async_cancel(server);
    async_try(await(server), &err);
    close(lfd);
    return rc;
}

static void test_unknown_ca(void **state) {
    long verify = 0;
    int server_rc = 0;

    (void)state;
    assert_int_equal(
        async_run(verify_test(other, cli, "localhost", &verify, &server_rc)),
        ASYNC_TLS_EVERIFY);
    assert_int_equal(verify, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_non_null(strstr(reason, "certificate verify failed: unable to get "
                                   "local issuer certificate"));
    /* The server saw the client's alert: a handshake failure, not a
     * verification of its own. */
    assert_int_equal(server_rc, ASYNC_TLS_EHANDSHAKE);
}

static void test_host_name_mismatch(void **state) {
    long verify = 0;
    int server_rc = 0;

    (void)state;
    assert_int_equal(
        async_run(verify_test(srv, cli, "wrong.example", &verify, &server_rc)),
        ASYNC_TLS_EVERIFY);
    assert_int_equal(verify, X509_V_ERR_HOSTNAME_MISMATCH);
    /* An address is checked against the IP entries. */
    assert_int_equal(
        async_run(verify_test(srv, cli, "127.0.0.2", &verify, &server_rc)),
        ASYNC_TLS_EVERIFY);
    assert_int_equal(verify, X509_V_ERR_IP_ADDRESS_MISMATCH);
    assert_int_equal(
        async_run(verify_test(srv, cli, "127.0.0.1", &verify, &server_rc)), 0);
    assert_int_equal(verify, X509_V_OK);
    assert_int_equal(server_rc, 0);
}

/* async_tls_connect frees what it made and keeps the reason. */
static async int connect_fails(async_tls_context *server_ctx) {
    server_conf c = {.ctx = server_ctx, .mode = ECHO};
    int lfd = listen_local(), err = 0;
    async_task *server = async_spawn(serve(lfd, &c));
    async_tls_stream *s = NULL;

    s = async_try(
        await(async_tls_connect("localhost", async_local_port(lfd), cli, 5)),
        &err);
    assert_null(s);
    /* Before the server, in this thread too, records its own failure. */
    snprintf(reason, sizeof reason, "%s", async_tls_error_string(NULL));
    async_cancel(server);
    async_try(await(server), &lfd);
    close(lfd);
    return err;
}

static void test_connect_unknown_ca(void **state) {
    (void)state;
    assert_int_equal(async_run(connect_fails(other)), ASYNC_TLS_EVERIFY);
    assert_non_null(strstr(reason, "certificate verify failed"));
}

/* The explicit opt-out accepts the unknown CA and the wrong name. */
static void test_insecure_no_verify(void **state) {
    async_tls_client_options o = {.insecure_no_verify = 1};
    async_tls_context *insecure;
    long verify = -1;
    int server_rc = 0;

    (void)state;
    assert_int_equal(async_tls_client_context(&insecure, &o), 0);
    assert_int_equal(async_run(verify_test(other, insecure, "wrong.example",
                                           &verify, &server_rc)),
                     0);
    assert_int_equal(server_rc, 0);
    async_tls_context_free(insecure);
}

/* ------------------------------------------------------------------ */
/* Deadlines, peers that are not TLS servers, cancellation             */
/* ------------------------------------------------------------------ */

/* Accepts and holds connections, saying `say` (or nothing). */
static async void mute_handler(int fd, void *arg) {
    const char *say = arg;
    char buf[256];

    int err = 0;

    if (say != NULL)
        await(async_write(fd, say, strlen(say)));
    /* The client may reset the connection: not a failure here. */
    while (async_try(await(async_read(fd, buf, sizeof buf)), &err) > 0) {
    }
}

static async void mute_serve(int lfd, const char *say) {
    await(async_serve(lfd, mute_handler, (void *)say));
}

static async int mute_test(const char *say, double timeout, double *took) {
    int lfd = listen_local(), port = async_local_port(lfd), rc = 0, err;
    async_task *server = async_spawn(mute_serve(lfd, say));
    int fd = await(async_tcp_connect("127.0.0.1", port, 5));
    async_tls_stream *s;
    double start = async_time();

    assert_int_equal(async_tls_stream_new(&s, cli, fd, "localhost"), 0);
    async_try(await(async_tls_handshake(s, timeout)), &rc);
    *took = async_time() - start;
    async_try(await(async_tls_write(s, "x", 1)), &err);
    assert_int_equal(err, ASYNC_TLS_ESTATE);
    async_tls_stream_free(s);
    close(fd);
    /* The one-call connect too, with nothing left open. */
    start = async_time();
    async_try(await(async_tls_connect("127.0.0.1", port, cli, timeout)), &err);
    assert_int_equal(err, rc);
    async_cancel(server);
    async_try(await(server), &err);
    close(lfd);
    return rc;
}

static void test_handshake_deadline(void **state) {
    double took = 0;

    (void)state;
    assert_int_equal(async_run(mute_test(NULL, 0.2, &took)), ASYNC_ETIMEDOUT);
    assert_true(took >= 0.19 && took < 2.0);
}

static void test_not_tls(void **state) {
    double took = 0;

    (void)state;
    assert_int_equal(
        async_run(mute_test("HTTP/1.0 400 Bad Request\r\n\r\n", 5, &took)),
        ASYNC_TLS_EHANDSHAKE);
}

static async ssize_t reader(async_tls_stream *s, char *buf, size_t n) {
    return await(async_tls_read(s, buf, n));
}

/* The server sends "hel" 0.3 s after the handshake, "lo\n" 0.3 s later. */
static async int cancel_client(int port) {
    char line[64], buf[64];
    int err = 0;
    async_tls_stream *s = await(async_tls_connect("localhost", port, cli, 5));

    async_defer { async_tls_stream_free(s); }
    /* A reader cancelled while it waits (nothing has come yet); a second
     * reader meanwhile is refused. */
    async_task *t = async_spawn(reader(s, buf, sizeof buf));
    await(async_sleep(0.05));
    async_try(await(async_tls_read(s, buf, sizeof buf)), &err);
    assert_int_equal(err, -EBUSY);
    async_cancel(t);
    async_try(await(t), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    /* A line that times out half read ("hel" comes, not the rest):
     * nothing taken, line untouched. */
    strcpy(line, "untouched");
    async_try(
        await(async_wait_for(async_tls_read_line(s, line, sizeof line), 0.4)),
        &err);
    assert_int_equal(err, ASYNC_ETIMEDOUT);
    assert_string_equal(line, "untouched");
    /* Nothing was lost. */
    assert_int_equal(await(async_tls_read_line(s, line, sizeof line)), 6);
    assert_string_equal(line, "hello\n");
    assert_int_equal(await(async_tls_shutdown(s, 5)), 0);
    return 1;
}

static async int cancel_test(void) {
    server_conf c = {.ctx = srv, .mode = DRIP};
    int lfd = listen_local();
    int r = await(with_server(
        &c, lfd, async_spawn(cancel_client(async_local_port(lfd)))));

    close(lfd);
    assert_int_equal(c.shutdown_rc, 0);
    return r;
}

static void test_cancelled_reads(void **state) {
    (void)state;
    assert_int_equal(async_run(cancel_test()), 1);
}

/* ------------------------------------------------------------------ */
/* Bad input                                                           */
/* ------------------------------------------------------------------ */

static async int bad_awaits(void) {
    int err = 0;
    char buf[4];

    async_try(await(async_tls_handshake(NULL, 1)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_try(await(async_tls_read(NULL, buf, 1)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_try(await(async_tls_write(NULL, buf, 1)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_try(await(async_tls_read_line(NULL, buf, 4)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_try(await(async_tls_shutdown(NULL, 1)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_try(await(async_tls_connect(NULL, 1, cli, 1)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_try(await(async_tls_connect("localhost", 1, srv, 1)), &err);
    assert_int_equal(err, ASYNC_EINVAL);

    /* A stream before its handshake. */
    int sv[2];
    async_tls_stream *s;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(async_tls_stream_new(&s, cli, sv[0], "localhost"), 0);
    async_try(await(async_tls_read(s, buf, 1)), &err);
    assert_int_equal(err, ASYNC_TLS_ESTATE);
    async_try(await(async_tls_read_line(s, buf, 1)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_try(await(async_tls_write(s, buf, 1)), &err);
    assert_int_equal(err, ASYNC_TLS_ESTATE);
    async_try(await(async_tls_shutdown(s, 1)), &err);
    assert_int_equal(err, ASYNC_TLS_ESTATE);
    assert_null(async_tls_version(s));
    assert_int_equal(async_tls_stream_fd(s), sv[0]);
    assert_int_equal(async_tls_verify_result(s), X509_V_OK);
    assert_string_equal(async_tls_error_string(s), "");
    async_tls_stream_free(s);
    close(sv[0]);
    close(sv[1]);
    return 0;
}

static void test_bad_input(void **state) {
    async_tls_context *c = (void *)1;
    async_tls_stream *s = (void *)1;
    async_tls_client_options o = {0};
    FILE *f;

    (void)state;
    assert_int_equal(async_tls_client_context(NULL, NULL), ASYNC_EINVAL);
    assert_int_equal(async_tls_server_context(&c, NULL, "k"), ASYNC_EINVAL);
    assert_null(c);
    assert_int_equal(
        async_tls_server_context(&c, path("none.pem"), path("server.key")),
        -ENOENT);
    assert_non_null(strstr(async_tls_error_string(NULL), "none.pem"));
    /* A key that is not the certificate's. */
    assert_int_equal(
        async_tls_server_context(&c, path("server.pem"), path("other.key")),
        ASYNC_TLS_ECONFIG);
    assert_null(c);
    /* A file that is not PEM. */
    f = fopen(path("junk.pem"), "w");
    assert_non_null(f);
    fputs("not a certificate\n", f);
    fclose(f);
    assert_int_equal(
        async_tls_server_context(&c, path("junk.pem"), path("server.key")),
        ASYNC_TLS_ECONFIG);
    o.ca_file = path("junk.pem");
    assert_int_equal(async_tls_client_context(&c, &o), ASYNC_TLS_ECONFIG);
    o.ca_file = path("missing.pem");
    assert_int_equal(async_tls_client_context(&c, &o), -ENOENT);
    o.ca_file = NULL;
    o.cert_file = path("server.pem");
    assert_int_equal(async_tls_client_context(&c, &o), ASYNC_EINVAL);
    /* The system's store by default. */
    assert_int_equal(async_tls_client_context(&c, NULL), 0);
    async_tls_context_free(c);
    async_tls_context_free(NULL);

    /* Streams: who names the server. */
    assert_int_equal(async_tls_stream_new(NULL, cli, 0, "x"), ASYNC_EINVAL);
    assert_int_equal(async_tls_stream_new(&s, NULL, 0, "x"), ASYNC_EINVAL);
    assert_null(s);
    assert_int_equal(async_tls_stream_new(&s, cli, -1, "x"), ASYNC_EINVAL);
    assert_int_equal(async_tls_stream_new(&s, cli, 0, NULL), ASYNC_EINVAL);
    assert_int_equal(async_tls_stream_new(&s, srv, 0, "x"), ASYNC_EINVAL);
    assert_int_equal(async_tls_stream_new(&s, cli, 999, "x"), -EBADF);
    async_tls_stream_free(NULL);
    assert_int_equal(async_tls_stream_fd(NULL), ASYNC_EINVAL);
    assert_int_equal(async_tls_verify_result(NULL), -1);
    assert_null(async_tls_version(NULL));

    assert_string_equal(async_tls_strerror(ASYNC_TLS_EVERIFY),
                        "TLS: the peer's certificate was refused");
    assert_string_equal(async_tls_strerror(ASYNC_ETIMEDOUT),
                        async_strerror(ASYNC_ETIMEDOUT));
    assert_int_equal(async_run(bad_awaits()), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_small),
        cmocka_unit_test(test_echo_1mib),
        cmocka_unit_test(test_many_connections),
        cmocka_unit_test(test_lines_and_server_shutdown),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_unknown_ca),
        cmocka_unit_test(test_host_name_mismatch),
        cmocka_unit_test(test_connect_unknown_ca),
        cmocka_unit_test(test_insecure_no_verify),
        cmocka_unit_test(test_handshake_deadline),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_cancelled_reads),
        cmocka_unit_test(test_bad_input),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
