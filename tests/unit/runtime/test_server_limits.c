/*
 * test_server_limits.c -- the per-connection limits of async_serve_with
 * and async_server_set_limits, over real loopback connections: a
 * connection with no transfer for the idle timeout has its handler
 * cancelled and is closed, while one that keeps talking is not; no idle
 * timeout means none; a handler that catches the cancellation is
 * cancelled again; the connection limit pauses accepting until a
 * handler finishes (the waiting client is served then, not refused);
 * invalid limits are refused.
 */
#include <async.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* What the handlers saw. */
static int started, finished, cancelled, caught;
static double start_at[8];
static int catch_once; /* handlers catch their first cancellation */

static int setup(void **state) {
    (void)state;
    started = finished = cancelled = caught = 0;
    catch_once = 0;
    return 0;
}

/* Echoes until end of file. */
static async void echo(int fd, void *arg) {
    char buf[64];
    ssize_t n;
    int err = 0;

    (void)arg;
    start_at[started++ % 8] = async_time();
    for (;;) {
        n = async_try(await(async_read(fd, buf, sizeof(buf))), &err);
        if (err == ASYNC_ECANCELED && catch_once && caught == 0) {
            caught++;
            err = 0;
            continue;
        }
        if (err != 0 || n == 0)
            break;
        async_try(await(async_write(fd, buf, (size_t)n)), &err);
        if (err != 0)
            break;
    }
    finished++;
    if (err == ASYNC_ECANCELED)
        cancelled++;
    if (err != 0)
        async_raise(err);
}

static async int serve_with(int lfd, double idle, size_t max) {
    async_serve_limits lim = {idle, max};

    return await(async_serve_with(lfd, echo, NULL, &lim));
}

/* A client that says nothing: how long after connecting the server
 * closed the connection, or -1 if it had not within `limit` seconds. */
static async double quiet_client(int port, double limit) {
    char c;
    int err = 0, fd = await(async_tcp_connect("127.0.0.1", port, 5));
    double t0 = async_time();
    ssize_t n =
        async_try(await(async_wait_for(async_read(fd, &c, 1), limit)), &err);

    close(fd);
    return err == 0 && n == 0 ? async_time() - t0 : -1;
}

/* A client that sends a byte every `gap` seconds for `seconds` and
 * checks every echo: 1 when all came back, 0 otherwise. */
static async int chatty_client(int port, double gap, double seconds) {
    char c;
    int ok = 1, fd = await(async_tcp_connect("127.0.0.1", port, 5));
    double t0 = async_time();

    while (ok && async_time() - t0 < seconds) {
        await(async_write(fd, "x", 1));
        ok = await(async_read(fd, &c, 1)) == 1 && c == 'x';
        await(async_sleep(gap));
    }
    close(fd);
    return ok;
}

static double quiet_res;
static int chatty_res, serve_err;

static async int idle_scenario(int lfd, double idle, double wait) {
    int port = async_local_port(lfd);
    async_task *srv = async_spawn(serve_with(lfd, idle, 0));
    async_task *q, *c;

    q = async_spawn(quiet_client(port, wait));
    c = async_spawn(chatty_client(port, 0.05, 0.6));
    await(c);
    chatty_res = async_task_result(c, int);
    await(q);
    quiet_res = async_task_result(q, double);
    async_cancel(srv);
    async_try(await(srv), &serve_err);
    return 0;
}

/* Idle for 0.25 s: closed then; talking every 50 ms for 0.6 s: kept. */
static void test_idle_closes_quiet_connection(void **state) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(idle_scenario(lfd, 0.25, 2.0)), 0);
    close(lfd);
    assert_int_equal(serve_err, ASYNC_ECANCELED);
    assert_int_equal(chatty_res, 1);
    if (quiet_res < 0.24 || quiet_res > 1.0)
        fail_msg("the quiet connection was closed after %.3f s", quiet_res);
    assert_int_equal(started, 2);
    assert_int_equal(finished, 2);
    assert_int_equal(cancelled, 1); /* the quiet one; the other saw EOF */
}

/* idle_timeout 0: a quiet connection stays open. */
static void test_no_idle_timeout(void **state) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(idle_scenario(lfd, 0, 0.8)), 0);
    close(lfd);
    assert_true(quiet_res < 0); /* still open after 0.8 s */
    assert_int_equal(cancelled, 0);
    assert_int_equal(chatty_res, 1);
}

static async int serve_object(async_server *srv) {
    return await(async_server_serve(srv, echo, NULL));
}

/* A handler that catches the first cancellation is cancelled again one
 * idle timeout later; a server object counts both. */
static async int server_object_scenario(int lfd) {
    async_server srv;
    async_serve_limits lim = {0.2, 0};
    int port = async_local_port(lfd);
    async_task *s, *q;

    async_server_init(&srv, lfd);
    assert_int_equal(async_server_set_limits(&srv, &lim), 0);
    s = async_spawn(serve_object(&srv));
    q = async_spawn(quiet_client(port, 3.0));
    await(q);
    quiet_res = async_task_result(q, double);
    assert_int_equal(async_server_timed_out(&srv), 2);
    async_server_close(&srv);
    await(s);
    await(async_server_wait_closed(&srv));
    return 0;
}

static void test_caught_cancellation_repeats(void **state) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);

    (void)state;
    catch_once = 1;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(server_object_scenario(lfd)), 0);
    close(lfd);
    assert_int_equal(caught, 1);
    assert_int_equal(cancelled, 1);
    if (quiet_res < 0.39 || quiet_res > 1.5)
        fail_msg("closed after %.3f s, not two idle timeouts", quiet_res);
}

/* Reads 2 bytes from fd. */
static async ssize_t read2(int fd, char *c) {
    ssize_t n = 0, k;

    while (n < 2) {
        k = await(async_read(fd, c + n, (size_t)(2 - n)));
        if (k == 0)
            break;
        n += k;
    }
    return n;
}

/* A client that sends one line and reads its echo, then holds the
 * connection for `hold` seconds: when the echo came, after the start. */
static async double hold_client(int port, double hold) {
    char c[2];
    double t0 = async_time(), got;
    int fd = await(async_tcp_connect("127.0.0.1", port, 5));

    await(async_write(fd, "ab", 2));
    if (await(read2(fd, c)) != 2)
        got = -1;
    else
        got = async_time() - t0;
    await(async_sleep(hold));
    close(fd);
    return got;
}

static double hold_res[3];

static async int max_scenario(int lfd) {
    int port = async_local_port(lfd);
    async_task *srv = async_spawn(serve_with(lfd, 0, 2));
    async_task *c[3];

    c[0] = async_spawn(hold_client(port, 0.4));
    c[1] = async_spawn(hold_client(port, 1.0));
    await(async_sleep(0.1));
    c[2] = async_spawn(hold_client(port, 0));
    for (int i = 0; i < 3; i++) {
        await(c[i]);
        hold_res[i] = async_task_result(c[i], double);
    }
    async_cancel(srv);
    async_try(await(srv), &serve_err);
    return 0;
}

/* max_connections 2: the third client waits (connected, in the
 * backlog) until the first one leaves at 0.4 s, then is served. */
static void test_connection_limit_pauses(void **state) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(max_scenario(lfd)), 0);
    close(lfd);
    assert_true(hold_res[0] >= 0 && hold_res[0] < 1.0);
    assert_true(hold_res[1] >= 0 && hold_res[1] < 1.0);
    /* Started at 0.1 s, served once the first left at about 0.4 s. */
    if (hold_res[2] < 0.25 || hold_res[2] > 1.5)
        fail_msg("the third client was served after %.3f s", hold_res[2]);
    assert_int_equal(started, 3);
}

static int serve_with_err;

static async int bad_limits(int lfd, double idle) {
    async_serve_limits lim = {idle, 0};

    async_try(await(async_serve_with(lfd, echo, NULL, &lim)), &serve_with_err);
    return 0;
}

static void test_bad_limits(void **state) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);
    async_server srv;
    async_serve_limits lim = {-1, 0}, ok = ASYNC_SERVE_LIMITS_DEFAULT;

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(bad_limits(lfd, -1)), 0);
    assert_int_equal(serve_with_err, ASYNC_EINVAL);
    assert_int_equal(async_run(bad_limits(lfd, NAN)), 0);
    assert_int_equal(serve_with_err, ASYNC_EINVAL);
    assert_int_equal(started, 0);
    assert_int_equal(async_server_init(&srv, lfd), 0);
    assert_int_equal(async_server_set_limits(NULL, &ok), ASYNC_EINVAL);
    assert_int_equal(async_server_set_limits(&srv, &lim), ASYNC_EINVAL);
    assert_int_equal(async_server_set_limits(&srv, NULL), 0);
    assert_int_equal(async_server_set_limits(&srv, &ok), 0);
    lim.idle_timeout = INFINITY;
    assert_int_equal(async_server_set_limits(&srv, &lim), 0);
    assert_true(ok.idle_timeout == ASYNC_SERVE_IDLE_TIMEOUT);
    assert_true(ok.max_connections == ASYNC_SERVE_MAX_CONNECTIONS);
    assert_int_equal(async_server_timed_out(NULL), 0);
    assert_int_equal(async_server_timed_out(&srv), 0);
    close(lfd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_idle_closes_quiet_connection, setup),
        cmocka_unit_test_setup(test_no_idle_timeout, setup),
        cmocka_unit_test_setup(test_caught_cancellation_repeats, setup),
        cmocka_unit_test_setup(test_connection_limit_pauses, setup),
        cmocka_unit_test_setup(test_bad_limits, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
