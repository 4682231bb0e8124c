/*
 * test_server_close.c -- server objects: async_server_close ends the
 * serving await with 0 without cancelling the handlers, and
 * async_server_wait_closed waits until they have finished; a cancelled
 * serve closes the server and fails at once, its handlers running on;
 * the listening socket stays open; bad input and a second serve.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"

enum { HANDLED = 100, CLIENT = 200, CLOSED = 300, WAITED = 400 };

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

static int handled;

/* Sleeps 200 ms, then answers one byte; counts itself and says if it
 * was cancelled. */
static async void slow_handler(int fd, void *arg) {
    int err;

    (void)arg;
    async_try(await(async_sleep(0.2)), &err);
    if (err) {
        event(-1);
        async_raise(err);
    }
    await(async_write(fd, "x", 1));
    handled++;
}

static async int client(int port) {
    char c = 0;
    int fd = await(async_tcp_connect("127.0.0.1", port, 5));
    ssize_t n = await(async_read(fd, &c, 1));

    close(fd);
    return n == 1 && c == 'x';
}

static async int serve(async_server *srv) {
    return await(async_server_serve(srv, slow_handler, NULL));
}

/* Three clients; once their handlers run, close: the serve completes
 * with 0 at once, the handlers go on, and wait_closed waits for them. */
static async int close_and_wait(int lfd, int cancel_serve) {
    async_server srv;
    async_task *s, *c[3];
    int port = async_local_port(lfd), err;
    double start;

    async_server_init(&srv, lfd);
    s = async_spawn(serve(&srv));
    for (int i = 0; i < 3; i++)
        c[i] = async_spawn(client(port));
    while (async_server_running(&srv) < 3)
        await(async_sleep(0.001));
    start = async_time();
    if (cancel_serve)
        async_cancel(s);
    else
        assert_int_equal(async_server_close(&srv), 0);
    int r = async_try(await(s), &err);
    assert_int_equal(err, cancel_serve ? ASYNC_ECANCELED : 0);
    assert_int_equal(r, 0);
    assert_int_equal(async_server_is_closed(&srv), 1);
    event(CLOSED + async_server_running(&srv));
    assert_true(async_time() - start < 0.1);
    await(async_server_wait_closed(&srv));
    event(WAITED + async_server_running(&srv));
    assert_true(async_time() - start >= 0.1);
    for (int i = 0; i < 3; i++) {
        event(CLIENT + await(c[i]));
        async_task_release(c[i]);
    }
    async_task_release(s);
    /* Closed: serving again fails. */
    async_try(await(async_server_serve(&srv, slow_handler, NULL)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    /* Closing again does nothing; waiting again completes at once. */
    assert_int_equal(async_server_close(&srv), 0);
    await(async_server_wait_closed(&srv));
    return handled;
}

static void test_close_then_wait(void **state) {
    static const int want[] = {CLOSED + 3, WAITED + 0, CLIENT + 1, CLIENT + 1,
                               CLIENT + 1};
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);

    (void)state;
    assert_true(lfd >= 0);
    handled = 0;
    assert_int_equal(async_run(close_and_wait(lfd, 0)), 3);
    assert_events(want, 5);
    /* The server never closes the listening socket. */
    assert_true(fcntl(lfd, F_GETFD) >= 0);
    close(lfd);
}

static void test_cancelled_serve(void **state) {
    static const int want[] = {CLOSED + 3, WAITED + 0, CLIENT + 1, CLIENT + 1,
                               CLIENT + 1};
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);

    (void)state;
    assert_true(lfd >= 0);
    handled = 0;
    assert_int_equal(async_run(close_and_wait(lfd, 1)), 3);
    assert_events(want, 5);
    close(lfd);
}

static async int waits_closed(async_server *srv) {
    return await(async_server_wait_closed(srv));
}

static async int misuse(int lfd) {
    async_server srv;
    int err;

    async_server_init(&srv, lfd);
    async_try(await(async_server_serve(NULL, slow_handler, NULL)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_try(await(async_server_wait_closed(NULL)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_task *s = async_spawn(serve(&srv));
    await(async_sleep(0.001));
    /* Served already. */
    async_try(await(async_server_serve(&srv, slow_handler, NULL)), &err);
    assert_int_equal(err, -EBUSY);
    /* A wait for the close, cancelled: the server goes on. */
    async_task *w = async_spawn(waits_closed(&srv));
    await(async_sleep(0.001));
    async_cancel(w);
    async_try(await(w), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    assert_int_equal(async_server_is_closed(&srv), 0);
    async_server_close(&srv);
    assert_int_equal(await(s), 0);
    async_task_release(s);
    async_task_release(w);
    return 0;
}

static void test_bad_input(void **state) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);

    (void)state;
    assert_int_equal(async_server_init(NULL, 3), ASYNC_EINVAL);
    assert_int_equal(async_server_close(NULL), ASYNC_EINVAL);
    assert_int_equal(async_server_is_closed(NULL), ASYNC_EINVAL);
    assert_int_equal(async_server_running(NULL), 0);
    assert_int_equal(async_run(misuse(lfd)), 0);
    close(lfd);
}

/* The peer's last bytes and its hang-up arrive before the handler reads:
 * reading them, then the end of the stream, must not wait for an event
 * the kernel reported already (a short read does not drain a stream
 * whose end has come). */
static ssize_t late_reads[2];

static async void late_reader(int fd, void *arg) {
    char buf[64], line[32];
    async_reader r;

    (void)arg;
    async_reader_init(&r, fd, buf, sizeof buf);
    await(async_sleep(0.1));
    late_reads[0] = await(async_read_line(&r, line, sizeof line));
    late_reads[1] = await(async_read_line(&r, line, sizeof line));
}

static async int hangup_client(int port) {
    int fd = await(async_tcp_connect("127.0.0.1", port, 5));

    await(async_write(fd, "tail", 4));
    shutdown(fd, SHUT_WR);
    await(async_sleep(0.3));
    close(fd);
    return 0;
}

static async int serve_late(async_server *srv) {
    return await(async_server_serve(srv, late_reader, NULL));
}

static async int hangup_run(int lfd) {
    async_server srv;
    int err;

    async_server_init(&srv, lfd);
    async_task *s = async_spawn(serve_late(&srv));
    async_task *c = async_spawn(hangup_client(async_local_port(lfd)));
    while (async_server_running(&srv) < 1)
        await(async_sleep(0.001));
    async_server_close(&srv);
    async_try(await(async_wait_for(async_server_wait_closed(&srv), 2.0)), &err);
    await(c);
    await(s);
    async_task_release(c);
    async_task_release(s);
    return err;
}

static void test_hangup_while_busy(void **state) {
    int lfd = async_tcp_listen("127.0.0.1", 0, 16);

    (void)state;
    assert_true(lfd >= 0);
    assert_int_equal(async_run(hangup_run(lfd)), 0);
    assert_int_equal(late_reads[0], 4);
    assert_int_equal(late_reads[1], 0);
    close(lfd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_close_then_wait, setup),
        cmocka_unit_test_setup(test_cancelled_serve, setup),
        cmocka_unit_test_setup(test_bad_input, setup),
        cmocka_unit_test_setup(test_hangup_while_busy, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
