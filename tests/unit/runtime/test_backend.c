/*
 * test_backend.c -- the loop's backend: ASYNCRT_BACKEND chooses it,
 * async_backend_name names it, and the kernel object the loop holds
 * (an epoll instance or an io_uring ring, seen in /proc/self/fd) is the
 * one named.  io_uring made unavailable (the ASYNCRT_TEST_NO_URING hook,
 * which fails io_uring_setup with EPERM as kernel.io_uring_disabled
 * does) leaves the loop on epoll, or, when io_uring is forced, stops
 * async_run with EPERM before the call runs; an unknown value stops it
 * with EINVAL; under valgrind the loop takes epoll.  On each backend: a socket
 * closed after a wait is released by the next loop pass (an io_uring poll
 * request holds its file), a descriptor closed and reused between waits is
 * waited on as the new file, and a wait on a closed descriptor fails with
 * -EBADF.  A loop whose kernel object is created before the run (the
 * signalfd of async_shutdown_on_signals) is on the backend asked for.
 * On io_uring, a descriptor waited on and then not, thousands of times,
 * leaves no poll requests behind in the ring (its fdinfo lists them).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "io.h"

/* What the loop of this process holds: bit 1 an epoll instance, bit 2
 * an io_uring ring. */
enum { HOLDS_EPOLL = 1, HOLDS_URING = 2 };

static int loop_holds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int holds = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[300], link[256];
        ssize_t n;

        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        n = readlink(path, link, sizeof link - 1);
        if (n <= 0)
            continue;
        link[n] = '\0';
        if (strcmp(link, "anon_inode:[eventpoll]") == 0)
            holds |= HOLDS_EPOLL;
        if (strcmp(link, "anon_inode:[io_uring]") == 0)
            holds |= HOLDS_URING;
    }
    closedir(d);
    return holds;
}

/* This test's own look at the kernel: a ring with multishot poll
 * (5.13, with IORING_FEAT_RSRC_TAGS) and timed waits can be set up. */
static int uring_works(void) {
    static const unsigned need =
        IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG | IORING_FEAT_RSRC_TAGS;
    struct io_uring_params p;
    int fd;

    memset(&p, 0, sizeof p);
    fd = (int)syscall(SYS_io_uring_setup, 2, &p);
    if (fd < 0)
        return 0;
    close(fd);
    return (p.features & need) == need;
}

static void set_env(const char *backend, int no_uring) {
    if (backend != NULL)
        assert_int_equal(setenv("ASYNCRT_BACKEND", backend, 1), 0);
    else
        assert_int_equal(unsetenv("ASYNCRT_BACKEND"), 0);
    if (no_uring)
        assert_int_equal(setenv("ASYNCRT_TEST_NO_URING", "1", 1), 0);
    else
        assert_int_equal(unsetenv("ASYNCRT_TEST_NO_URING"), 0);
}

static async int write_after(int fd, double delay, const char *s) {
    await(async_sleep(delay));
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    return 0;
}

/* What the run saw: the backend's name and the loop's kernel object,
 * after an await that had to wait for a pipe. */
static char seen_name[16];
static int seen_holds;
static int ran;

static async int round_trip(void) {
    int p[2];
    char buf[8] = {0};

    ran = 1;
    assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    async_spawn(write_after(p[1], 0.01, "hi"));
    assert_int_equal(await(async_read(p[0], buf, sizeof buf)), 2);
    assert_string_equal(buf, "hi");
    snprintf(seen_name, sizeof seen_name, "%s", async_backend_name());
    seen_holds = loop_holds();
    close(p[0]);
    close(p[1]);
    return 0;
}

/* Runs round_trip under the environment given and checks that the loop
 * ran on `want`, before and inside the run alike. */
static void check_runs_on(const char *backend, int no_uring, const char *want) {
    set_env(backend, no_uring);
    assert_string_equal(async_backend_name(), want);
    seen_name[0] = '\0';
    assert_int_equal(async_run(round_trip()), 0);
    assert_string_equal(seen_name, want);
    assert_int_equal(seen_holds,
                     strcmp(want, "epoll") == 0 ? HOLDS_EPOLL : HOLDS_URING);
    /* Nothing left open once the run is over. */
    assert_int_equal(loop_holds(), 0);
    set_env(NULL, 0);
}

static void test_forced_epoll(void **state) {
    (void)state;
    check_runs_on("epoll", 0, "epoll");
}

/* Under valgrind (its preload library in LD_PRELOAD), the loop takes
 * epoll when left to choose. */
static int under_valgrind(void) {
    const char *p = getenv("LD_PRELOAD");

    return p != NULL && strstr(p, "/vgpreload_") != NULL;
}

static void test_auto(void **state) {
    const char *want =
        uring_works() && !under_valgrind() ? "io_uring" : "epoll";
    char *preload = getenv("LD_PRELOAD");

    (void)state;
    check_runs_on(NULL, 0, want);
    check_runs_on("auto", 0, want);
    check_runs_on("", 0, want);
    /* As valgrind's environment says (the variable is only read). */
    assert_int_equal(setenv("LD_PRELOAD",
                            "/usr/libexec/valgrind/"
                            "vgpreload_core-amd64-linux.so",
                            1),
                     0);
    check_runs_on(NULL, 0, "epoll");
    if (preload != NULL)
        assert_int_equal(setenv("LD_PRELOAD", preload, 1), 0);
    else
        assert_int_equal(unsetenv("LD_PRELOAD"), 0);
}

static void test_forced_uring(void **state) {
    (void)state;
    if (!uring_works()) {
        set_env("io_uring", 0);
        assert_null(async_backend_name());
        ran = 0;
        assert_int_equal(async_run(round_trip()), -1);
        assert_int_not_equal(errno, 0);
        assert_false(ran);
        set_env(NULL, 0);
        skip();
    }
    check_runs_on("io_uring", 0, "io_uring");
}

static void test_unavailable_falls_back(void **state) {
    (void)state;
    check_runs_on(NULL, 1, "epoll");
}

static void expect_refused(const char *backend, int no_uring, int err) {
    set_env(backend, no_uring);
    assert_null(async_backend_name());
    ran = 0;
    errno = 0;
    assert_int_equal(async_run(round_trip()), -1);
    assert_int_equal(errno, err);
    assert_false(ran);
    assert_int_equal(loop_holds(), 0);
    set_env(NULL, 0);
}

static void test_unavailable_forced(void **state) {
    (void)state;
    expect_refused("io_uring", 1, EPERM);
}

static void test_unknown_backend(void **state) {
    (void)state;
    expect_refused("kqueue", 0, EINVAL);
    expect_refused("EPOLL", 0, EINVAL);
}

/* a waits for b's data, then a is closed: the pass that follows has
 * released it, so b reads the end of the stream at once. */
static async int close_after_wait(void) {
    int sv[2];
    char c;

    assert_int_equal(
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
        0);
    async_spawn(write_after(sv[1], 0.01, "x"));
    assert_int_equal(await(async_read(sv[0], &c, 1)), 1);
    close(sv[0]);
    await(async_sleep(0));
    assert_int_equal(read(sv[1], &c, 1), 0);
    close(sv[1]);
    return 0;
}

/* A number closed between waits and handed out again: the wait is on
 * the new file (a pipe with data), and a closed one fails. */
static async int reuse_and_bad(void) {
    int p[2], q[2], err = 0, n;
    char c;

    assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    async_spawn(write_after(p[1], 0.01, "a"));
    assert_int_equal(await(async_read(p[0], &c, 1)), 1);
    n = p[0];
    close(p[0]);
    close(p[1]);
    assert_int_equal(pipe2(q, O_CLOEXEC | O_NONBLOCK), 0);
    assert_int_equal(q[0], n); /* the lowest free number comes back */
    async_spawn(write_after(q[1], 0.01, "b"));
    assert_int_equal(await(async_read(q[0], &c, 1)), 1);
    assert_int_equal(c, 'b');
    close(q[0]);
    close(q[1]);
    async_try(await(async_wait_readable(n)), &err);
    assert_int_equal(err, -EBADF);
    return 0;
}

static void on_each_backend(int (*run)(void)) {
    const char *backends[] = {"epoll", "io_uring"};

    for (int i = 0; i < 2; i++) {
        if (i == 1 && !uring_works())
            break;
        set_env(backends[i], 0);
        assert_int_equal(run(), 0);
    }
    set_env(NULL, 0);
}

static int run_close_after_wait(void) { return async_run(close_after_wait()); }
static int run_reuse_and_bad(void) { return async_run(reuse_and_bad()); }

static void test_close_after_wait(void **state) {
    (void)state;
    on_each_backend(run_close_after_wait);
}

static void test_reuse_and_bad(void **state) {
    (void)state;
    on_each_backend(run_reuse_and_bad);
}

/* async_shutdown_on_signals watches its signalfd before the run: the
 * loop's kernel object is created then, and still on the backend that
 * ASYNCRT_BACKEND (or the automatic choice) asks for. */
static void watch_then_run(const char *backend, const char *want) {
    set_env(backend, 0);
    assert_int_equal(async_shutdown_on_signals(), 0);
    seen_name[0] = '\0';
    assert_int_equal(async_run(round_trip()), 0);
    assert_string_equal(seen_name, want);
    assert_int_equal(seen_holds,
                     strcmp(want, "epoll") == 0 ? HOLDS_EPOLL : HOLDS_URING);
    set_env(NULL, 0);
}

static void test_watch_before_run(void **state) {
    int uring = uring_works() && !under_valgrind();

    (void)state;
    watch_then_run("epoll", "epoll");
    if (uring) {
        watch_then_run("io_uring", "io_uring");
        watch_then_run(NULL, "io_uring");
    }
}

/* The poll requests the ring holds now (its fdinfo lists them, one
 * "op=6" line each: IORING_OP_POLL_ADD), or -1 without a ring. */
static int uring_poll_requests(void) {
    char path[300], link[64], line[256];
    int count = -1;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        ssize_t n;
        FILE *f;

        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        n = readlink(path, link, sizeof link - 1);
        if (n < 0)
            continue;
        link[n] = '\0';
        if (strcmp(link, "anon_inode:[io_uring]") != 0)
            continue;
        snprintf(path, sizeof path, "/proc/self/fdinfo/%s", e->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        count = 0;
        while (fgets(line, sizeof line, f) != NULL)
            if (strstr(line, "op=6,") != NULL)
                count++;
        fclose(f);
    }
    closedir(d);
    return count;
}

static int leftover_polls;

/* 2,000 round trips with a process that echoes each byte: the socket
 * is waited on and then not, over and over, while the echo's wake-ups
 * come and go.  Each end of a wait removes the request, so the ring
 * holds a handful of requests at the end, not one per wait. */
static async int waits_come_and_go(int fd) {
    char c = 'x';

    for (int i = 0; i < 2000; i++) {
        if (write(fd, &c, 1) != 1)
            return -errno;
        if (i % 2 == 0) {
            int rc = await(async_wait_readable(fd));

            if (rc < 0)
                return rc;
            if (read(fd, &c, 1) != 1)
                return -EIO;
        } else if (await(async_read(fd, &c, 1)) != 1) {
            return -EIO;
        }
    }
    leftover_polls = uring_poll_requests();
    return 0;
}

static void test_waits_leave_no_requests(void **state) {
    int sv[2];
    pid_t pid;

    (void)state;
    if (!uring_works() || under_valgrind())
        skip();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;

        close(sv[0]);
        while (read(sv[1], &c, 1) == 1)
            if (write(sv[1], &c, 1) != 1)
                break;
        _exit(0);
    }
    close(sv[1]);
    assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    set_env("io_uring", 0);
    leftover_polls = -1;
    assert_int_equal(async_run(waits_come_and_go(sv[0])), 0);
    set_env(NULL, 0);
    close(sv[0]);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_in_range(leftover_polls, 0, 8);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forced_epoll),
        cmocka_unit_test(test_auto),
        cmocka_unit_test(test_forced_uring),
        cmocka_unit_test(test_unavailable_falls_back),
        cmocka_unit_test(test_unavailable_forced),
        cmocka_unit_test(test_unknown_backend),
        cmocka_unit_test(test_close_after_wait),
        cmocka_unit_test(test_reuse_and_bad),
        cmocka_unit_test(test_watch_before_run),
        cmocka_unit_test(test_waits_leave_no_requests),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
