/*
 * test_happy_eyeballs.c -- async_tcp_connect and async_tcp_connect_with
 * on loopback: `localhost` through the real resolver; a dual-stack name
 * (the scripted resolver of resolver.h: this machine's hosts file may
 * give localhost no ::1) whose server listens only on 127.0.0.1 (the
 * ::1 attempt is refused, IPv4 wins at once) or only on ::1; IPv6 tried
 * first when both listen, whatever the resolver's order; a first
 * address that never answers (a listener whose backlog is full drops
 * the SYNs) and a second that connects once the stagger delay has
 * passed, not at the timeout; no staggering with a negative delay; the
 * overall timeout, during the attempts and during resolution; every
 * address refused; at most ASYNC_TCP_MAX_ADDRS addresses tried; numeric
 * hosts never reach the resolver; bad arguments; cancellation during
 * resolution and during the attempts.  Every test counts the process's
 * descriptors (/proc/self/fd) before and after: none is left open.
 */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "internal.h"
#include "resolver.h"

/* How one connect ended. */
struct outcome {
    int fd;         /* the connected descriptor, or -1 */
    int err;        /* 0, or the failure */
    double elapsed; /* seconds from the start of the await to its end */
    char peer[64];  /* the peer's numeric address when connected */
};

/* ---- async functions ---------------------------------------------- */

/* async_tcp_connect_with into *o (opts NULL: async_tcp_connect). */
static async int connect_to(const char *host, int port, double timeout,
                            const async_tcp_options *opts, struct outcome *o) {
    double t0 = async_time();
    int err = 0, fd;

    if (opts == NULL)
        fd = async_try(await(async_tcp_connect(host, port, timeout)), &err);
    else
        fd = async_try(await(async_tcp_connect_with(host, port, timeout, opts)),
                       &err);
    o->elapsed = async_time() - t0;
    o->err = err;
    o->fd = err == 0 ? fd : -1;
    if (o->fd >= 0)
        peer_of(o->fd, o->peer, sizeof(o->peer));
    return 0;
}

/* Starts connect_to, cancels it after `after` seconds; *took is how long
 * the cancelled await took to end after the cancel. */
static async int cancel_connect(const char *host, int port, double after,
                                const async_tcp_options *opts,
                                struct outcome *o, double *took) {
    async_task *t = async_spawn(connect_to(host, port, 0, opts, o));
    double t0;

    assert_non_null(t);
    await(async_sleep(after));
    t0 = async_time();
    async_cancel(t);
    await(t);
    *took = async_time() - t0;
    return 0;
}

/* ---- helpers -------------------------------------------------------- */

static int fds_before;

static int setup(void **state) {
    (void)state;
    scripted_drain();
    scripted_reset();
    async__getaddrinfo_hook = scripted_getaddrinfo;
    fds_before = count_fds();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    scripted_drain();
    assert_int_equal(count_fds(), fds_before);
    return 0;
}

static struct outcome run_connect(const char *host, int port, double timeout,
                                  const async_tcp_options *opts) {
    struct outcome o = {-1, 1, -1, ""};

    assert_int_equal(async_run(connect_to(host, port, timeout, opts, &o)), 0);
    return o;
}

/* A listener on ::1, or -1 (and the test is skipped, saying why) when
 * this machine has no IPv6 loopback. */
static int listen_v6(int port) {
    int fd = listen_on("::1", port, 8);

    if (fd < 0) {
        print_message("no IPv6 loopback here (%s): test skipped\n",
                      async_strerror(fd));
        skip();
    }
    return fd;
}

/* A port that nothing listens on, on any loopback address (the kernel
 * keeps it unused for a while after the close). */
static int closed_port(void) {
    int fd = listen_on("127.0.0.1", 0, 1), port;

    assert_true(fd >= 0);
    port = port_of(fd);
    close(fd);
    return port;
}

/* ---- tests ---------------------------------------------------------- */

/* localhost through the real resolver, the server on 127.0.0.1. */
static void test_localhost(void **state) {
    int lfd = listen_on("127.0.0.1", 0, 8);
    struct outcome o;

    (void)state;
    assert_true(lfd >= 0);
    o = run_connect("localhost", port_of(lfd), 5, NULL);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.peer, "127.0.0.1");
    assert_int_equal(fcntl(o.fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    assert_int_equal(fcntl(o.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    close(o.fd);
    close(lfd);
}

/* A dual-stack name, the server on 127.0.0.1 only: ::1 is tried first
 * and refused, which starts the IPv4 attempt at once (not after the
 * 250 ms delay). */
static void test_ipv4_only_server(void **state) {
    int lfd = listen_on("127.0.0.1", 0, 8);
    struct outcome o;

    (void)state;
    assert_true(lfd >= 0);
    o = run_connect("list:127.0.0.1,::1", port_of(lfd), 5, NULL);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.peer, "127.0.0.1");
    assert_true(o.elapsed < 0.2);
    close(o.fd);
    close(lfd);
}

/* The server on ::1 only, the resolver giving 127.0.0.1 first: IPv6 is
 * tried first and wins. */
static void test_ipv6_only_server(void **state) {
    int lfd = listen_v6(0);
    struct outcome o;

    (void)state;
    if (lfd < 0)
        return;
    o = run_connect("list:127.0.0.1,::1", port_of(lfd), 5, NULL);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.peer, "::1");
    assert_true(o.elapsed < 0.2);
    close(o.fd);
    close(lfd);
}

/* Both listen on the same port: the first IPv6 address is tried first
 * although the resolver put two IPv4 ones before it. */
static void test_ipv6_first(void **state) {
    int l6 = listen_v6(0), l4;
    struct outcome o;

    (void)state;
    if (l6 < 0)
        return;
    l4 = listen_on("127.0.0.1", port_of(l6), 8);
    if (l4 < 0) { /* the port is taken on IPv4: another one */
        close(l6);
        print_message("port taken on 127.0.0.1: test skipped\n");
        skip();
        return;
    }
    o = run_connect("list:127.0.0.1,127.0.0.2,::1", port_of(l6), 5, NULL);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.peer, "::1");
    close(o.fd);
    close(l4);
    close(l6);
}

/* The first address never answers (its listener's backlog is full); the
 * second (127.0.0.2, same port) is tried once the delay has passed and
 * connects, long before the timeout.  The first attempt's socket is
 * closed (teardown counts). */
static void test_stagger_after_silence(void **state) {
    int fillers[16], n_fill, lfd, good;
    async_tcp_options opts = {0.1, 0};
    struct outcome o;

    (void)state;
    lfd = full_listener(fillers, 16, &n_fill);
    assert_true(lfd >= 0);
    good = listen_on("127.0.0.2", port_of(lfd), 8);
    assert_true(good >= 0);
    o = run_connect("list:127.0.0.1,127.0.0.2", port_of(lfd), 5, &opts);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.peer, "127.0.0.2");
    assert_true(o.elapsed >= 0.1);
    assert_true(o.elapsed < 1.0);
    close(o.fd);
    /* The default delay, 250 ms, with async_tcp_connect. */
    o = run_connect("list:127.0.0.1,127.0.0.2", port_of(lfd), 5, NULL);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.peer, "127.0.0.2");
    assert_true(o.elapsed >= ASYNC_HAPPY_EYEBALLS_DELAY);
    assert_true(o.elapsed < 1.5);
    close(o.fd);
    close(good);
    for (int i = 0; i < n_fill; i++)
        close(fillers[i]);
    close(lfd);
}

/* A negative delay: no staggering, the second address waits for the
 * first to fail, which it never does before the timeout. */
static void test_no_stagger(void **state) {
    int fillers[16], n_fill, lfd, good;
    async_tcp_options opts = {-1, 0};
    struct outcome o;

    (void)state;
    lfd = full_listener(fillers, 16, &n_fill);
    assert_true(lfd >= 0);
    good = listen_on("127.0.0.2", port_of(lfd), 8);
    assert_true(good >= 0);
    o = run_connect("list:127.0.0.1,127.0.0.2", port_of(lfd), 0.4, &opts);
    assert_int_equal(o.err, ASYNC_ETIMEDOUT);
    assert_true(o.elapsed >= 0.4);
    /* Refused, the next one starts at once. */
    close(lfd);
    for (int i = 0; i < n_fill; i++)
        close(fillers[i]);
    o = run_connect("list:127.0.0.1,127.0.0.2", port_of(good), 5, &opts);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.peer, "127.0.0.2");
    close(o.fd);
    close(good);
}

/* No address answers: the overall timeout ends it, with every attempt
 * started (the second after the delay) and closed. */
static void test_timeout(void **state) {
    int fillers[16], n_fill, lfd;
    async_tcp_options opts = {0.05, AF_INET};
    struct outcome o;

    (void)state;
    lfd = full_listener(fillers, 16, &n_fill);
    assert_true(lfd >= 0);
    o = run_connect("list:127.0.0.1,127.0.0.1", port_of(lfd), 0.3, &opts);
    assert_int_equal(o.err, ASYNC_ETIMEDOUT);
    assert_true(o.elapsed >= 0.3);
    assert_true(o.elapsed < 1.0);
    o = run_connect("127.0.0.1", port_of(lfd), 0.2, NULL);
    assert_int_equal(o.err, ASYNC_ETIMEDOUT);
    for (int i = 0; i < n_fill; i++)
        close(fillers[i]);
    close(lfd);
}

/* The timeout counts resolution too: a 300 ms resolver and a 0.1 s
 * timeout fail after 0.1 s. */
static void test_timeout_while_resolving(void **state) {
    int lfd = listen_on("127.0.0.1", 0, 8);
    struct outcome o;

    (void)state;
    assert_true(lfd >= 0);
    o = run_connect("list:127.0.0.1@300", port_of(lfd), 0.1, NULL);
    assert_int_equal(o.err, ASYNC_ETIMEDOUT);
    assert_true(o.elapsed >= 0.1 && o.elapsed < 0.25);
    close(lfd);
}

/* Every address refuses: -ECONNREFUSED, each next attempt started at
 * once. */
static void test_all_refused(void **state) {
    int port = closed_port();
    struct outcome o;

    (void)state;
    o = run_connect("list:::1,127.0.0.1,127.0.0.2,127.0.0.3", port, 5, NULL);
    assert_int_equal(o.err, -ECONNREFUSED);
    assert_true(o.elapsed < 0.2);
    o = run_connect("127.0.0.1", port, 5, NULL);
    assert_int_equal(o.err, -ECONNREFUSED);
}

/* ASYNC_TCP_MAX_ADDRS addresses are tried, the rest ignored: a server
 * on the ninth is never reached, on the eighth it is. */
static void test_address_limit(void **state) {
    static const char eight[] = "list:127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,"
                                "127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8";
    char nine[128];
    int port = closed_port(), lfd;
    struct outcome o;

    (void)state;
    assert_int_equal(ASYNC_TCP_MAX_ADDRS, 8);
    snprintf(nine, sizeof(nine), "%s,127.0.0.9", eight);
    lfd = listen_on("127.0.0.9", port, 8);
    assert_true(lfd >= 0);
    o = run_connect(nine, port, 5, NULL);
    assert_int_equal(o.err, -ECONNREFUSED);
    close(lfd);
    lfd = listen_on("127.0.0.8", port, 8);
    assert_true(lfd >= 0);
    o = run_connect(nine, port, 5, NULL);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.peer, "127.0.0.8");
    close(o.fd);
    close(lfd);
}

/* Numeric hosts are parsed in place: the resolver never sees them. */
static void test_numeric_skips_resolver(void **state) {
    int lfd = listen_on("127.0.0.1", 0, 8), l6;
    struct outcome o;

    (void)state;
    assert_true(lfd >= 0);
    async__getaddrinfo_hook = NULL; /* a call would crash */
    o = run_connect("127.0.0.1", port_of(lfd), 5, NULL);
    assert_int_equal(o.err, 0);
    close(o.fd);
    l6 = listen_on("::1", 0, 8);
    if (l6 >= 0) {
        o = run_connect("::1", port_of(l6), 5, NULL);
        assert_int_equal(o.err, 0);
        assert_string_equal(o.peer, "::1");
        close(o.fd);
        close(l6);
    }
    async__getaddrinfo_hook = scripted_getaddrinfo;
    close(lfd);
}

/* The family option keeps the addresses of one family. */
static void test_family(void **state) {
    int lfd = listen_on("127.0.0.1", 0, 8);
    async_tcp_options v4 = {0, AF_INET}, v6 = {0, AF_INET6};
    struct outcome o;

    (void)state;
    assert_true(lfd >= 0);
    o = run_connect("list:::1,127.0.0.1", port_of(lfd), 5, &v4);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.peer, "127.0.0.1");
    close(o.fd);
    /* Only IPv6: nothing listens on ::1. */
    o = run_connect("list:::1", port_of(lfd), 5, &v6);
    assert_int_equal(o.err, -ECONNREFUSED);
    /* A numeric address of the other family: a resolver failure. */
    o = run_connect("127.0.0.1", port_of(lfd), 5, &v6);
    assert_int_equal(o.err, ASYNC_EAI_NODATA);
    close(lfd);
}

static void test_bad_arguments(void **state) {
    async_tcp_options nan_delay = {NAN, 0}, bad_family = {0, 12345};
    struct outcome o;
    char script[32];

    (void)state;
    o = run_connect(NULL, 80, 5, NULL);
    assert_int_equal(o.err, ASYNC_EINVAL);
    o = run_connect("127.0.0.1", 70000, 5, NULL);
    assert_int_equal(o.err, ASYNC_EINVAL);
    o = run_connect("127.0.0.1", -1, 5, NULL);
    assert_int_equal(o.err, ASYNC_EINVAL);
    o = run_connect("127.0.0.1", 80, 5, &nan_delay);
    assert_int_equal(o.err, ASYNC_EINVAL);
    o = run_connect("127.0.0.1", 80, 5, &bad_family);
    assert_int_equal(o.err, ASYNC_EINVAL);
    snprintf(script, sizeof(script), "fail:%d", -EAI_NONAME);
    o = run_connect(script, 80, 5, NULL);
    assert_int_equal(o.err, ASYNC_EAI_NONAME);
}

/* Cancelled while the (slow) resolver runs: ends at once, no socket. */
static void test_cancel_while_resolving(void **state) {
    struct outcome o = {-1, 1, -1, ""};
    double took = -1;

    (void)state;
    assert_int_equal(async_run(cancel_connect("list:127.0.0.1,::1@300", 80,
                                              0.05, NULL, &o, &took)),
                     0);
    assert_int_equal(o.err, ASYNC_ECANCELED);
    assert_true(took < 0.1);
}

/* Cancelled while two attempts wait for silent listeners: both sockets
 * are closed. */
static void test_cancel_while_connecting(void **state) {
    int fillers[16], n_fill, lfd, during;
    async_tcp_options opts = {0.02, 0};
    struct outcome o = {-1, 1, -1, ""};
    double took = -1;

    (void)state;
    lfd = full_listener(fillers, 16, &n_fill);
    assert_true(lfd >= 0);
    during = count_fds();
    assert_int_equal(
        async_run(cancel_connect("list:127.0.0.1,127.0.0.1", port_of(lfd), 0.15,
                                 &opts, &o, &took)),
        0);
    assert_int_equal(o.err, ASYNC_ECANCELED);
    assert_true(took < 0.1);
    assert_int_equal(count_fds(), during);
    for (int i = 0; i < n_fill; i++)
        close(fillers[i]);
    close(lfd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_localhost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_only_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_only_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stagger_after_silence, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_stagger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_while_resolving, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_all_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_address_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numeric_skips_resolver, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_family, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_while_resolving, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_while_connecting, setup,
                                        teardown),
    };

    setenv("ASYNCRT_THREADS", "2", 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
