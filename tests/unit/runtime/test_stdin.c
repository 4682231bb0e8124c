/*
 * test_stdin.c -- lines from standard input with async_stdin_reader_init
 * for the four kinds of descriptor 0: a blocking pipe (another task
 * writes it while a third ticks: the loop never blocks), a regular file
 * (the offset advances as it is read), /dev/null (a character device
 * epoll refuses) and a terminal (a pseudo-terminal opened here: other
 * tasks tick while the reader waits for a line, Ctrl-D ends the input,
 * and the terminal's settings and the descriptor's flags are unchanged
 * afterwards).  Also: a timed-out line read on a blocking pipe loses
 * nothing, a non-blocking descriptor, bad arguments.  Each test puts its
 * descriptor at 0 with dup2 and restores the real one after.
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "io.h"

static int saved_stdin = -1;

/* Makes `fd` the standard input (and closes fd). */
static void put_stdin(int fd) {
    assert_true(fd > 0);
    saved_stdin = dup(0);
    assert_true(saved_stdin >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
}

static int restore_stdin(void **state) {
    (void)state;
    if (saved_stdin >= 0) {
        dup2(saved_stdin, 0);
        close(saved_stdin);
        saved_stdin = -1;
    }
    return 0;
}

static int ticks;

/* Counts passes of 5 ms until cancelled. */
static async int tick_task(void) {
    for (;;) {
        await(async_sleep(0.005));
        ticks++;
    }
    return 0;
}

/* Writes `a`, then after `gap` seconds `b`, to fd; closes it when
 * `close_after`. */
static async int feed(int fd, const char *a, const char *b, double gap,
                      int close_after) {
    await(async_sleep(gap));
    assert_int_equal(write(fd, a, strlen(a)), (ssize_t)strlen(a));
    await(async_sleep(gap));
    assert_int_equal(write(fd, b, strlen(b)), (ssize_t)strlen(b));
    if (close_after)
        close(fd);
    return 0;
}

/* Reads two lines and end of file from stdin while `feed` writes the
 * other end and a task ticks: the ticks counted while the first line
 * was awaited. */
static async int read_two(int write_fd, const char *l1, const char *l2,
                          const char *eof) {
    async_reader r;
    char buf[256], line[64];
    async_task *t = async_spawn(tick_task());
    int before;

    assert_int_equal(async_stdin_reader_init(&r, buf, sizeof buf), 0);
    assert_int_equal(r.mode, ASYNC__READER_WAIT);
    async_task_release(async_spawn(feed(write_fd, l1, l2, 0.05, eof == NULL)));
    ticks = 0;
    assert_int_equal(await(async_read_line(&r, line, sizeof line)),
                     (ssize_t)strlen(l1));
    assert_string_equal(line, l1);
    before = ticks;
    assert_int_equal(await(async_read_line(&r, line, sizeof line)),
                     (ssize_t)strlen(l2));
    assert_string_equal(line, l2);
    /* The loop went on ticking while the reader waited. */
    assert_true(before >= 4);
    assert_true(ticks - before >= 4);
    if (eof != NULL)
        assert_int_equal(write(write_fd, eof, strlen(eof)),
                         (ssize_t)strlen(eof));
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 0);
    async_cancel(t);
    return 0;
}

static void test_pipe(void **state) {
    int p[2], fl_r;

    (void)state;
    assert_int_equal(pipe(p), 0);
    put_stdin(p[0]);
    fl_r = fcntl(0, F_GETFL);
    assert_false(fl_r & O_NONBLOCK);
    assert_int_equal(async_run(read_two(p[1], "one\n", "two\n", NULL)), 0);
    assert_int_equal(fcntl(0, F_GETFL), fl_r);
}

/* A regular file: read directly, the offset moves along. */
static async int read_file(void) {
    async_reader r;
    char buf[4], line[64];

    assert_int_equal(async_stdin_reader_init(&r, buf, sizeof buf), 0);
    assert_int_equal(r.mode, ASYNC__READER_DIRECT);
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 2);
    assert_string_equal(line, "a\n");
    /* A line longer than the reader's buffer comes in pieces. */
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 4);
    assert_string_equal(line, "long");
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 3);
    assert_string_equal(line, "er\n");
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 1);
    assert_string_equal(line, "c");
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 0);
    return 0;
}

static void test_regular_file(void **state) {
    FILE *f = tmpfile();

    (void)state;
    assert_non_null(f);
    assert_true(fputs("a\nlonger\nc", f) >= 0);
    fflush(f);
    rewind(f);
    put_stdin(dup(fileno(f)));
    fclose(f);
    assert_int_equal(async_run(read_file()), 0);
    assert_int_equal(lseek(0, 0, SEEK_CUR), 10);
}

/* A character device that cannot be polled: end of file at once, read
 * directly once the first wait said so (epoll refuses it, io_uring's
 * poll request ends at once). */
static async int read_null(void) {
    async_reader r;
    char buf[64], line[64];

    assert_int_equal(async_stdin_reader_init(&r, buf, sizeof buf), 0);
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 0);
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 0);
    assert_int_equal(r.mode, ASYNC__READER_DIRECT);
    return 0;
}

/* /dev/null, or, where that is no device (some containers), a null
 * device made here. */
static int open_null(char *made, size_t size) {
    struct stat st;

    made[0] = '\0';
    if (stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode))
        return open("/dev/null", O_RDONLY);
    snprintf(made, size, "/tmp/asyncrt-null-%d", (int)getpid());
    if (mknod(made, S_IFCHR | 0600, makedev(1, 3)) != 0) {
        made[0] = '\0';
        return -1;
    }
    return open(made, O_RDONLY);
}

static void test_dev_null(void **state) {
    char made[64];
    int fd = open_null(made, sizeof made);

    (void)state;
    if (fd < 0) {
        fprintf(stderr, "note: no null device here: test skipped\n");
        skip();
    }
    put_stdin(fd);
    assert_int_equal(async_run(read_null()), 0);
    if (made[0] != '\0')
        unlink(made);
}

static void test_terminal(void **state) {
    struct termios before, after;
    int master, slave, fl;

    (void)state;
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0) {
        fprintf(stderr, "note: no pseudo-terminal here: test skipped\n");
        skip();
    }
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    put_stdin(slave);
    assert_true(isatty(0));
    assert_int_equal(tcgetattr(0, &before), 0);
    fl = fcntl(0, F_GETFL);
    /* Ctrl-D (VEOF) at the start of a line is end of file. */
    assert_int_equal(async_run(read_two(master, "hello\n", "world\n", "\x04")),
                     0);
    assert_int_equal(tcgetattr(0, &after), 0);
    assert_int_equal(fcntl(0, F_GETFL), fl);
    assert_int_equal(before.c_iflag, after.c_iflag);
    assert_int_equal(before.c_oflag, after.c_oflag);
    assert_int_equal(before.c_cflag, after.c_cflag);
    assert_int_equal(before.c_lflag, after.c_lflag);
    assert_memory_equal(before.c_cc, after.c_cc, sizeof before.c_cc);
    close(master);
}

/* A line read that times out on a blocking pipe leaves nothing
 * watched, and the next read gets the whole line. */
static async int timeout_then_line(int write_fd) {
    async_reader r;
    char buf[64], line[64];
    int err;

    assert_int_equal(async_stdin_reader_init(&r, buf, sizeof buf), 0);
    assert_int_equal(write(write_fd, "par", 3), 3);
    async_try(
        await(async_wait_for(async_read_line(&r, line, sizeof line), 0.02)),
        &err);
    assert_int_equal(err, ASYNC_ETIMEDOUT);
    assert_int_equal(write(write_fd, "tial\n", 5), 5);
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 8);
    assert_string_equal(line, "partial\n");
    return 0;
}

static void test_timeout(void **state) {
    int p[2];

    (void)state;
    assert_int_equal(pipe(p), 0);
    put_stdin(p[0]);
    assert_int_equal(async_run(timeout_then_line(p[1])), 0);
    close(p[1]);
}

/* A non-blocking descriptor is read the usual way. */
static async int nonblocking(int read_fd) {
    async_reader r;
    char buf[64], line[64];

    assert_int_equal(async_reader_init_any(&r, read_fd, buf, sizeof buf), 0);
    assert_int_equal(r.mode, ASYNC__READER_NONBLOCK);
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 3);
    assert_string_equal(line, "nb\n");
    return 0;
}

static void test_nonblocking(void **state) {
    int p[2];

    (void)state;
    assert_int_equal(pipe2(p, O_NONBLOCK), 0);
    assert_int_equal(write(p[1], "nb\n", 3), 3);
    assert_int_equal(async_run(nonblocking(p[0])), 0);
    close(p[0]);
    close(p[1]);
}

static void test_bad_arguments(void **state) {
    async_reader r;
    char buf[8];

    (void)state;
    assert_int_equal(async_reader_init_any(NULL, 0, buf, 8), ASYNC_EINVAL);
    assert_int_equal(async_reader_init_any(&r, 0, NULL, 8), ASYNC_EINVAL);
    assert_int_equal(async_stdin_reader_init(&r, buf, 0), ASYNC_EINVAL);
    assert_int_equal(async_reader_init_any(&r, 1000, buf, 8), -EBADF);
    assert_int_equal(async_reader_init_any(&r, -1, buf, 8), -EBADF);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pipe, restore_stdin),
        cmocka_unit_test_teardown(test_regular_file, restore_stdin),
        cmocka_unit_test_teardown(test_dev_null, restore_stdin),
        cmocka_unit_test_teardown(test_terminal, restore_stdin),
        cmocka_unit_test_teardown(test_timeout, restore_stdin),
        cmocka_unit_test(test_nonblocking),
        cmocka_unit_test(test_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
