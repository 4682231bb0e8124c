/*
 * test_wait_ready.c -- async_wait_readable and async_wait_writable:
 * a pipe that becomes readable, readiness that is there already (level
 * semantics), a full socket that becomes writable when drained, a
 * blocking descriptor the runtime did not open, a reader and a writer on
 * one descriptor at once and a second reader refused, deadlines through
 * async_wait_for and async_timeout, cancellation, hang-up, a regular
 * file and /dev/null (ready at once), a bad descriptor, a descriptor
 * closed and reopened under the same number between waits, the loop
 * running other tasks while one waits, and async_wait_fd for either
 * direction.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "frames.h"
#include "internal.h"
#include "io.h"

static void make_pipe(int p[2]) { assert_int_equal(pipe2(p, O_CLOEXEC), 0); }

/* Writes `s` to `fd` after `delay` seconds. */
static async int write_after(int fd, double delay, const char *s) {
    await(async_sleep(delay));
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    return 0;
}

/* Counts loop passes while another task waits. */
static int ticks;
static async int ticker(int n) {
    for (int i = 0; i < n; i++) {
        await(async_sleep(0.005));
        ticks++;
    }
    return 0;
}

static async int wait_then_read(int fd, char *buf, size_t n) {
    int rc = await(async_wait_readable(fd));
    ssize_t got;

    assert_int_equal(rc, 0);
    got = read(fd, buf, n - 1);
    assert_true(got > 0);
    buf[got] = '\0';
    return (int)got;
}

static async int readable_later(int p[2], char *buf) {
    async_task *w = async_spawn(write_after(p[1], 0.05, "hello"));
    async_task *tk = async_spawn(ticker(5));
    double t0 = async_time();
    int got = await(wait_then_read(p[0], buf, 16));

    assert_true(async_time() - t0 >= 0.045);
    await(w);
    await(tk);
    return got;
}

/* The pipe is blocking: the wait never touches it, and the read after
 * it does not block. */
static void test_readable_later(void **state) {
    int p[2];
    char buf[16];

    (void)state;
    make_pipe(p);
    ticks = 0;
    assert_int_equal(async_run(readable_later(p, buf)), 5);
    assert_string_equal(buf, "hello");
    assert_true(ticks >= 5);
    close(p[0]);
    close(p[1]);
}

static async int wait_twice_ready(int fd) {
    /* Ready before the wait, and still ready after it: both complete. */
    assert_int_equal(await(async_wait_readable(fd)), 0);
    assert_int_equal(await(async_wait_readable(fd)), 0);
    assert_int_equal(await(async_wait_writable(fd)), 0);
    return 0;
}

static void test_ready_already_level(void **state) {
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(async_run(wait_twice_ready(sv[0])), 0);
    close(sv[0]);
    close(sv[1]);
}

/* Fills `fd` (non-blocking) until it would block; returns the bytes. */
static size_t fill(int fd) {
    static char chunk[4096];
    size_t total = 0;
    ssize_t r;

    while ((r = write(fd, chunk, sizeof chunk)) > 0)
        total += (size_t)r;
    assert_true(r < 0 && errno == EAGAIN);
    return total;
}

static async int drain_after(int fd, double delay, size_t n) {
    char buf[4096];
    size_t got = 0;

    await(async_sleep(delay));
    while (got < n) {
        ssize_t r = read(fd, buf, sizeof buf);

        assert_true(r > 0);
        got += (size_t)r;
    }
    return 0;
}

static async int writable_when_drained(int sv[2]) {
    size_t n = fill(sv[0]);
    async_task *d = async_spawn(drain_after(sv[1], 0.05, n));
    double t0 = async_time();

    assert_int_equal(await(async_wait_writable(sv[0])), 0);
    assert_true(async_time() - t0 >= 0.045);
    assert_true(write(sv[0], "y", 1) == 1);
    await(d);
    return 0;
}

static void test_writable_when_drained(void **state) {
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(async_fd_nonblocking(sv[0]), 0);
    assert_int_equal(async_run(writable_when_drained(sv)), 0);
    close(sv[0]);
    close(sv[1]);
}

static int busy_err;

static async int second_reader(int fd) {
    async_try(await(async_wait_readable(fd)), &busy_err);
    return 0;
}

/* A reader and a writer wait on one descriptor at once; a second reader
 * is refused while the first waits, and may wait once it is done. */
static async int both_directions(int sv[2]) {
    static char rbuf[8];
    size_t n = fill(sv[0]);
    async_task *r = async_spawn(wait_then_read(sv[0], rbuf, sizeof rbuf));
    async_task *d, *w;
    int err;

    await(async_sleep(0)); /* r waits now */
    w = async_spawn(second_reader(sv[0]));
    await(w);
    assert_int_equal(busy_err, -EBUSY);
    d = async_spawn(drain_after(sv[1], 0.02, n));
    assert_int_equal(await(async_wait_writable(sv[0])), 0);
    await(d);
    assert_int_equal(write(sv[1], "abc", 3), 3);
    assert_int_equal(await(r), 3);
    /* Free again: a wait with nothing to read times out cleanly. */
    async_try(await(async_wait_for(async_wait_readable(sv[0]), 0.02)), &err);
    assert_int_equal(err, ASYNC_ETIMEDOUT);
    return 0;
}

static void test_reader_and_writer_at_once(void **state) {
    int sv[2];

    (void)state;
    busy_err = 0;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(async_fd_nonblocking(sv[0]), 0);
    assert_int_equal(async_run(both_directions(sv)), 0);
    assert_int_equal(async__loop_io()->n_watchers, 0);
    close(sv[0]);
    close(sv[1]);
}

static async int deadlines(int fd, int wfd) {
    int err = 0;
    double t0 = async_time();

    async_try(await(async_wait_for(async_wait_readable(fd), 0.03)), &err);
    assert_int_equal(err, ASYNC_ETIMEDOUT);
    assert_true(async_time() - t0 >= 0.025);
    assert_int_equal(async__loop_io()->n_watchers, 0);
    err = 0;
    async_timeout(0.03, &err) {
        await(async_wait_readable(fd));
        fail_msg("the timeout block went on after the deadline");
    }
    assert_int_equal(err, ASYNC_ETIMEDOUT);
    assert_int_equal(async__loop_io()->n_watchers, 0);
    /* The descriptor can be waited on again at once. */
    assert_int_equal(write(wfd, "z", 1), 1);
    assert_int_equal(await(async_wait_readable(fd)), 0);
    return 0;
}

static void test_deadlines(void **state) {
    int p[2];

    (void)state;
    make_pipe(p);
    assert_int_equal(async_run(deadlines(p[0], p[1])), 0);
    close(p[0]);
    close(p[1]);
}

static async int wait_forever(int fd) {
    await(async_wait_readable(fd));
    fail_msg("nothing was written");
    return 0;
}

static async int cancel_waiter(int fd) {
    async_task *t = async_spawn(wait_forever(fd));
    int err;

    await(async_sleep(0.01));
    assert_int_equal(async__loop_io()->n_watchers, 1);
    async_cancel(t);
    async_try(await(t), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    assert_int_equal(async__loop_io()->n_watchers, 0);
    /* Cancelled before its first step: never waits. */
    t = async_spawn(wait_forever(fd));
    async_cancel(t);
    async_try(await(t), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    return 0;
}

static void test_cancel(void **state) {
    int p[2];

    (void)state;
    make_pipe(p);
    assert_int_equal(async_run(cancel_waiter(p[0])), 0);
    close(p[0]);
    close(p[1]);
}

static async int close_after(int fd, double delay) {
    await(async_sleep(delay));
    close(fd);
    return 0;
}

/* The writer's end closing makes the read end readable (end of file),
 * and a closed reader makes the write end writable (EPIPE follows). */
static async int hangups(int p[2], int q[2]) {
    async_task *c = async_spawn(close_after(p[1], 0.01));
    char b;

    assert_int_equal(await(async_wait_readable(p[0])), 0);
    assert_int_equal(read(p[0], &b, 1), 0);
    await(c);
    fill(q[1]);
    c = async_spawn(close_after(q[0], 0.01));
    assert_int_equal(await(async_wait_writable(q[1])), 0);
    await(c);
    return 0;
}

static void test_hangup_is_ready(void **state) {
    int p[2], q[2];

    (void)state;
    make_pipe(p);
    make_pipe(q);
    assert_int_equal(async_fd_nonblocking(q[1]), 0);
    assert_int_equal(async_run(hangups(p, q)), 0);
    close(p[0]);
    close(q[1]);
}

static async int files_and_errors(int file, int devnull) {
    int err = 0;

    assert_int_equal(await(async_wait_readable(file)), 0);
    assert_int_equal(await(async_wait_writable(file)), 0);
    assert_int_equal(await(async_wait_readable(devnull)), 0);
    assert_int_equal(await(async_wait_writable(devnull)), 0);
    async_try(await(async_wait_readable(-1)), &err);
    assert_int_equal(err, -EBADF);
    err = 0;
    async_try(await(async_wait_writable(1000000)), &err);
    assert_int_equal(err, -EBADF);
    assert_int_equal(async__loop_io()->n_watchers, 0);
    return 0;
}

static void test_files_ready_and_bad_fd(void **state) {
    char path[] = "/tmp/asyncrt-wait-ready-XXXXXX";
    int file = mkstemp(path);
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

    (void)state;
    assert_true(file >= 0 && devnull >= 0);
    unlink(path);
    assert_int_equal(async_run(files_and_errors(file, devnull)), 0);
    close(file);
    close(devnull);
}

/* A descriptor closed between waits whose number comes back as another
 * file: the next wait watches the new file. */
static async int reuse(int p[2]) {
    int q[2], old = p[0];
    char buf[16];

    assert_int_equal(write(p[1], "a", 1), 1);
    assert_int_equal(await(async_wait_readable(p[0])), 0);
    close(p[0]);
    close(p[1]);
    make_pipe(q);
    assert_int_equal(q[0], old);
    async_task *w = async_spawn(write_after(q[1], 0.02, "new"));
    assert_int_equal(await(wait_then_read(q[0], buf, sizeof buf)), 3);
    assert_string_equal(buf, "new");
    await(w);
    close(q[0]);
    close(q[1]);
    return 0;
}

static void test_closed_and_reused_between_waits(void **state) {
    int p[2];

    (void)state;
    make_pipe(p);
    assert_int_equal(async_run(reuse(p)), 0);
}

/* Many waits on one socket in turn, as a library driver does: each one
 * ends with data and the next finds the descriptor free. */
static async int ping(int fd, int rounds) {
    char b;

    for (int i = 0; i < rounds; i++) {
        assert_int_equal(await(async_wait_readable(fd)), 0);
        assert_int_equal(read(fd, &b, 1), 1);
        assert_int_equal(await(async_wait_writable(fd)), 0);
        assert_int_equal(write(fd, &b, 1), 1);
    }
    return rounds;
}

static async int ping_pong(int sv[2], int rounds) {
    async_task *a = async_spawn(ping(sv[0], rounds));
    char b = 'p';

    for (int i = 0; i < rounds; i++) {
        assert_int_equal(write(sv[1], &b, 1), 1);
        assert_int_equal(await(async_wait_readable(sv[1])), 0);
        assert_int_equal(read(sv[1], &b, 1), 1);
    }
    return await(a);
}

static void test_ping_pong(void **state) {
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(async_run(ping_pong(sv, 2000)), 2000);
    assert_int_equal(async__loop_io()->n_watchers, 0);
    close(sv[0]);
    close(sv[1]);
}

/* Either direction: a full socket with nothing to read waits until the
 * peer writes (readable) or drains (writable); both asked of a socket
 * with room and data gives both. */
static async int either(int sv[2]) {
    size_t n = fill(sv[0]);
    async_task *w = async_spawn(write_after(sv[1], 0.02, "r"));
    int err = 0;

    assert_int_equal(
        await(async_wait_fd(sv[0], ASYNC_READABLE | ASYNC_WRITABLE)),
        ASYNC_READABLE);
    await(w);
    assert_int_equal(async__loop_io()->n_watchers, 0);
    {
        char b;
        assert_int_equal(read(sv[0], &b, 1), 1);
    }
    async_task *d = async_spawn(drain_after(sv[1], 0.02, n));
    assert_int_equal(
        await(async_wait_fd(sv[0], ASYNC_READABLE | ASYNC_WRITABLE)),
        ASYNC_WRITABLE);
    await(d);
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(
        await(async_wait_fd(sv[0], ASYNC_READABLE | ASYNC_WRITABLE)),
        ASYNC_READABLE | ASYNC_WRITABLE);
    assert_int_equal(await(async_wait_fd(sv[0], ASYNC_WRITABLE)),
                     ASYNC_WRITABLE);
    /* Bad directions, deadline, a direction taken by another waiter. */
    async_try(await(async_wait_fd(sv[0], 0)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    err = 0;
    async_try(await(async_wait_fd(sv[0], 4)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    {
        char b;
        assert_int_equal(read(sv[0], &b, 1), 1);
    }
    err = 0;
    async_try(await(async_wait_for(async_wait_fd(sv[0], ASYNC_READABLE), 0.02)),
              &err);
    assert_int_equal(err, ASYNC_ETIMEDOUT);
    assert_int_equal(async__loop_io()->n_watchers, 0);
    async_task *r = async_spawn(wait_forever(sv[0]));
    await(async_sleep(0));
    err = 0;
    async_try(await(async_wait_fd(sv[0], ASYNC_READABLE | ASYNC_WRITABLE)),
              &err);
    assert_int_equal(err, -EBUSY);
    assert_int_equal(async__loop_io()->n_watchers, 1);
    async_cancel(r);
    async_try(await(r), &err);
    assert_int_equal(async__loop_io()->n_watchers, 0);
    return 0;
}

static void test_wait_fd_either(void **state) {
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(async_fd_nonblocking(sv[0]), 0);
    assert_int_equal(async_run(either(sv)), 0);
    close(sv[0]);
    close(sv[1]);
}

static async int wait_fd_files(int file) {
    int err = 0;

    assert_int_equal(
        await(async_wait_fd(file, ASYNC_READABLE | ASYNC_WRITABLE)),
        ASYNC_READABLE | ASYNC_WRITABLE);
    assert_int_equal(await(async_wait_fd(file, ASYNC_WRITABLE)),
                     ASYNC_WRITABLE);
    async_try(await(async_wait_fd(-1, ASYNC_READABLE)), &err);
    assert_int_equal(err, -EBADF);
    return 0;
}

static void test_wait_fd_file_and_bad_fd(void **state) {
    char path[] = "/tmp/asyncrt-wait-fd-XXXXXX";
    int file = mkstemp(path);

    (void)state;
    assert_true(file >= 0);
    unlink(path);
    assert_int_equal(async_run(wait_fd_files(file)), 0);
    close(file);
}

static char big[1 << 20];

static async int write_big(int fd) {
    return (int)await(async_write(fd, big, sizeof big));
}

/* A library closes its socket while tasks wait on it: async_fd_closing
 * ends every wait (a readiness wait and a transfer) with -EBADF, and
 * the number, reused at once for another file, is watched afresh. */
static async int closing(int sv[2]) {
    async_task *r, *t, *wr;
    int err = 0, old = sv[0], q[2];
    char buf[8];

    fill(sv[0]);
    r = async_spawn(wait_forever(sv[0]));
    t = async_spawn(write_big(sv[0]));
    await(async_sleep(0));
    assert_int_equal(async__loop_io()->n_watchers, 2);
    assert_int_equal(async_fd_closing(sv[0]), 2);
    assert_int_equal(async__loop_io()->n_watchers, 0);
    close(sv[0]);
    make_pipe(q);
    assert_int_equal(q[0], old);
    async_try(await(r), &err);
    assert_int_equal(err, -EBADF);
    err = 0;
    async_try(await(t), &err);
    assert_int_equal(err, -EBADF);
    wr = async_spawn(write_after(q[1], 0.01, "ok"));
    assert_int_equal(await(wait_then_read(q[0], buf, sizeof buf)), 2);
    await(wr);
    assert_int_equal(async_fd_closing(q[0]), 0);
    assert_int_equal(async_fd_closing(-1), ASYNC_EINVAL);
    close(q[0]);
    close(q[1]);
    return 0;
}

static void test_fd_closing_ends_waits(void **state) {
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(async_fd_nonblocking(sv[0]), 0);
    assert_int_equal(async_run(closing(sv)), 0);
    close(sv[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readable_later),
        cmocka_unit_test(test_ready_already_level),
        cmocka_unit_test(test_writable_when_drained),
        cmocka_unit_test(test_reader_and_writer_at_once),
        cmocka_unit_test(test_deadlines),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_hangup_is_ready),
        cmocka_unit_test(test_files_ready_and_bad_fd),
        cmocka_unit_test(test_closed_and_reused_between_waits),
        cmocka_unit_test(test_ping_pong),
        cmocka_unit_test(test_wait_fd_either),
        cmocka_unit_test(test_wait_fd_file_and_bad_fd),
        cmocka_unit_test(test_fd_closing_ends_waits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
