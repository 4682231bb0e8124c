/*
 * test_process.c -- child processes with real programs: cat echoing
 * what the parent writes through pipes, exit codes (sh -c 'exit 3'), a
 * death by signal (sh -c 'kill -TERM $$'), sleep 10 killed at a
 * deadline, a child writing 1 MiB to stdout and stderr at once read by
 * two tasks, the environment and the working directory, stderr merged
 * into stdout, /dev/null, spawn errors (program not found, bad cwd,
 * bad arguments) returned by the spawn, signals, and the reaping
 * policy: a cancelled wait (the child runs on, then is reaped), a child
 * never waited for, a released one, and children still running when
 * async_run returns (killed and reaped).  Every test ends by checking
 * that this process has no child left, zombie or not.
 *
 * The whole suite runs twice: watching pidfds, then with
 * ASYNCRT_NO_PIDFD=1, through the waitpid polling.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "process.h"

/* Whether the processes of this group should have a pidfd. */
static int want_pidfd;

/* The number of children of this process, from /proc (every thread's
 * list), or -1 when the kernel does not list them. */
static int proc_children(void) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        FILE *f;
        int c;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        if ((f = fopen(path, "r")) == NULL) {
            closedir(d);
            return -1;
        }
        while ((c = fgetc(f)) != EOF)
            n += c == ' ';
        fclose(f);
    }
    closedir(d);
    return n;
}

/* No child left: none listed, and waitpid has nothing to reap. */
static void assert_no_children(void) {
    int n = proc_children();

    if (n >= 0)
        assert_int_equal(n, 0);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* Gone: not even a zombie (kill succeeds on a zombie). */
static void assert_gone(pid_t pid) {
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
}

static int teardown(void **state) {
    (void)state;
    assert_no_children();
    return 0;
}

/* Starts argv with the given modes; fails the test on an error. */
static async_process *start(const char *const *argv, int in, int out, int err) {
    async_process_options o;
    async_process *p = NULL;

    memset(&o, 0, sizeof o);
    o.argv = argv;
    o.stdin_mode = in;
    o.stdout_mode = out;
    o.stderr_mode = err;
    assert_int_equal(async_process_spawn(&p, &o), 0);
    assert_non_null(p);
    assert_int_equal(p->pidfd >= 0, want_pidfd);
    return p;
}

/* Reads `fd` to its end into buf[0..cap), NUL-terminated; the length. */
static async int read_all(int fd, char *buf, size_t cap) {
    size_t len = 0;

    for (;;) {
        ssize_t n = await(async_read(fd, buf + len, cap - 1 - len));

        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return (int)len;
}

/* Counts the bytes of `fd` to its end. */
static async int count_all(int fd, long *total) {
    static char sink[2][65536];
    char *buf = sink[fd % 2];

    *total = 0;
    for (;;) {
        ssize_t n = await(async_read(fd, buf, sizeof sink[0]));

        if (n == 0)
            break;
        *total += n;
    }
    return 0;
}

/* cat through two pipes: lines written, stdin closed, lines read back
 * with the buffered reader, exit status 0. */
static async int cat_echo(void) {
    static const char *argv[] = {"cat", NULL};
    async_process *p = start(argv, ASYNC_PROCESS_PIPE, ASYNC_PROCESS_PIPE,
                             ASYNC_PROCESS_INHERIT);
    async_reader r;
    char buf[64], line[64];
    ssize_t n;

    assert_true(async_process_fd(p, 0) >= 0);
    assert_true(async_process_fd(p, 1) >= 0);
    assert_int_equal(async_process_fd(p, 2), -1);
    assert_int_equal(async_process_fd(p, 3), ASYNC_EINVAL);
    assert_int_equal(
        async_reader_init(&r, async_process_fd(p, 1), buf, sizeof buf), 0);
    await(async_write(async_process_fd(p, 0), "hello\n", 6));
    n = await(async_read_line(&r, line, sizeof line));
    assert_int_equal(n, 6);
    assert_string_equal(line, "hello\n");
    await(async_write(async_process_fd(p, 0), "second line\n", 12));
    assert_int_equal(async_process_close_fd(p, 0), 0);
    assert_int_equal(async_process_fd(p, 0), -1);
    n = await(async_read_line(&r, line, sizeof line));
    assert_string_equal(line, "second line\n");
    assert_int_equal(await(async_read_line(&r, line, sizeof line)), 0);
    assert_int_equal(await(async_process_wait(p)), 0);
    assert_int_equal(async_process_release(p), 0);
    return 0;
}

static void test_cat_echo(void **state) {
    (void)state;
    assert_int_equal(async_run(cat_echo()), 0);
}

/* sh -c 'exit 3' and sh -c 'kill -TERM $$': 3, then -SIGTERM. */
static async int exit_codes(void) {
    static const char *three[] = {"sh", "-c", "exit 3", NULL};
    static const char *term[] = {"sh", "-c", "kill -TERM $$", NULL};
    async_process *a = start(three, 0, 0, 0);
    async_process *b = start(term, 0, 0, 0);
    int st = 99;

    assert_int_equal(async_process_returncode(a, &st), 0);
    assert_int_equal(st, 99);
    assert_int_equal(await(async_process_wait(a)), 3);
    assert_int_equal(await(async_process_wait(b)), -SIGTERM);
    assert_int_equal(async_process_returncode(a, &st), 1);
    assert_int_equal(st, 3);
    assert_int_equal(async_process_returncode(b, NULL), 1);
    /* Waiting again gives the same status at once. */
    assert_int_equal(await(async_process_wait(b)), -SIGTERM);
    async_process_release(a);
    async_process_release(b);
    return 0;
}

static void test_exit_codes(void **state) {
    (void)state;
    assert_int_equal(async_run(exit_codes()), 0);
}

/* sleep 10 with a deadline of 0.2 s: killed and reaped, ETIMEDOUT,
 * status -SIGKILL; a quick child within its deadline gives its status. */
static async int wait_or_kill(void) {
    static const char *slow[] = {"sleep", "10", NULL};
    static const char *quick[] = {"sh", "-c", "exit 7", NULL};
    async_process *p = start(slow, 0, 0, 0);
    async_process *q = start(quick, 0, 0, 0);
    double t0 = async_time();
    pid_t pid = async_process_pid(p);
    int err, st = 0;

    async_try(await(async_process_wait_or_kill(p, 0.2)), &err);
    assert_int_equal(err, ASYNC_ETIMEDOUT);
    assert_true(async_time() - t0 >= 0.2);
    assert_true(async_time() - t0 < 2.0);
    assert_int_equal(async_process_returncode(p, &st), 1);
    assert_int_equal(st, -SIGKILL);
    assert_gone(pid);
    assert_int_equal(async_process_signal(p, SIGTERM), -ESRCH);
    assert_int_equal(await(async_process_wait_or_kill(q, 5)), 7);
    async_process_release(p);
    async_process_release(q);
    return 0;
}

static void test_wait_or_kill(void **state) {
    (void)state;
    assert_int_equal(async_run(wait_or_kill()), 0);
}

/* A deadline of 0: killed at once. */
static async int kill_at_once(void) {
    static const char *slow[] = {"sleep", "10", NULL};
    async_process *p = start(slow, 0, 0, 0);
    int err;

    async_try(await(async_process_wait_or_kill(p, 0)), &err);
    assert_int_equal(err, ASYNC_ETIMEDOUT);
    assert_int_equal(await(async_process_wait(p)), -SIGKILL);
    return 0;
}

static void test_kill_at_once(void **state) {
    (void)state;
    assert_int_equal(async_run(kill_at_once()), 0);
}

/* 1 MiB on stdout and on stderr at the same time, more than a pipe
 * holds: read by two tasks at once, no deadlock, every byte. */
static async int big_output(void) {
    static const char *argv[] = {
        "sh", "-c",
        "head -c 1048576 /dev/zero & head -c 1048576 /dev/zero >&2; wait",
        NULL};
    async_process *p = start(argv, ASYNC_PROCESS_DEVNULL, ASYNC_PROCESS_PIPE,
                             ASYNC_PROCESS_PIPE);
    long out = 0, err = 0;

    await(async_gather(count_all(async_process_fd(p, 1), &out),
                       count_all(async_process_fd(p, 2), &err)));
    assert_int_equal(out, 1048576);
    assert_int_equal(err, 1048576);
    assert_int_equal(await(async_process_wait(p)), 0);
    return 0;
}

static void test_big_output(void **state) {
    (void)state;
    assert_int_equal(async_run(big_output()), 0);
}

/* The environment and the working directory given, stderr merged. */
static async int env_cwd(const char *dir) {
    static const char *argv[] = {"sh", "-c", "echo $FOO; pwd; echo oops >&2",
                                 NULL};
    static const char *env[] = {"FOO=bar baz", "PATH=/usr/bin:/bin", NULL};
    async_process_options o;
    async_process *p;
    char out[PATH_MAX + 64], want[PATH_MAX + 64];

    memset(&o, 0, sizeof o);
    o.argv = argv;
    o.envp = env;
    o.cwd = dir;
    o.stdout_mode = ASYNC_PROCESS_PIPE;
    o.stderr_mode = ASYNC_PROCESS_STDOUT;
    assert_int_equal(async_process_spawn(&p, &o), 0);
    assert_int_equal(async_process_fd(p, 2), -1);
    await(read_all(async_process_fd(p, 1), out, sizeof out));
    snprintf(want, sizeof want, "bar baz\n%s\noops\n", dir);
    assert_string_equal(out, want);
    assert_int_equal(await(async_process_wait(p)), 0);
    return 0;
}

static void test_env_cwd(void **state) {
    char tmpl[] = "/tmp/asyncrt-proc-XXXXXX", real[PATH_MAX];

    (void)state;
    assert_non_null(mkdtemp(tmpl));
    assert_non_null(realpath(tmpl, real));
    assert_int_equal(async_run(env_cwd(real)), 0);
    assert_int_equal(rmdir(tmpl), 0);
}

/* The parent's environment when envp is NULL. */
static async int env_inherited(void) {
    static const char *argv[] = {"sh", "-c", "echo \"$ASYNCRT_TEST_VAR\"",
                                 NULL};
    async_process *p = start(argv, 0, ASYNC_PROCESS_PIPE, 0);
    char out[64];

    await(read_all(async_process_fd(p, 1), out, sizeof out));
    assert_string_equal(out, "inherited\n");
    assert_int_equal(await(async_process_wait(p)), 0);
    return 0;
}

static void test_env_inherited(void **state) {
    (void)state;
    setenv("ASYNCRT_TEST_VAR", "inherited", 1);
    assert_int_equal(async_run(env_inherited()), 0);
    unsetenv("ASYNCRT_TEST_VAR");
}

static int null_is_device(void) {
    struct stat st;

    if (stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode))
        return 1;
    fprintf(stderr, "note: /dev/null is no device here: its content is "
                    "not checked\n");
    return 0;
}

/* /dev/null as stdin: cat sees end of file at once. */
static async int devnull(void) {
    static const char *argv[] = {"cat", NULL};
    async_process *p = start(argv, ASYNC_PROCESS_DEVNULL, ASYNC_PROCESS_PIPE,
                             ASYNC_PROCESS_DEVNULL);
    char out[16];

    await(read_all(async_process_fd(p, 1), out, sizeof out));
    /* Some containers have a regular file there, which others write. */
    if (null_is_device())
        assert_string_equal(out, "");
    assert_int_equal(await(async_process_wait(p)), 0);
    return 0;
}

static void test_devnull(void **state) {
    (void)state;
    assert_int_equal(async_run(devnull()), 0);
}

static int spawn_with(const char *const *argv, const char *cwd, int in, int out,
                      int err) {
    async_process_options o;
    async_process *p = NULL;
    int rc;

    memset(&o, 0, sizeof o);
    o.argv = argv;
    o.cwd = cwd;
    o.stdin_mode = in;
    o.stdout_mode = out;
    o.stderr_mode = err;
    rc = async_process_spawn(&p, &o);
    if (rc != 0)
        assert_null(p);
    return rc;
}

/* Spawn errors come back from the spawn, with no child left. */
static async int spawn_errors(void) {
    static const char *missing[] = {"asyncrt-no-such-program", NULL};
    static const char *missing_path[] = {"/nonexistent/prog", NULL};
    static const char *dir[] = {"/tmp", NULL};
    static const char *ok[] = {"true", NULL};
    static const char *empty[] = {NULL};
    async_process *p;

    assert_int_equal(spawn_with(missing, NULL, 0, 0, 0), -ENOENT);
    assert_int_equal(spawn_with(missing_path, NULL, 0, 0, 0), -ENOENT);
    assert_int_equal(spawn_with(dir, NULL, 0, 0, 0), -EACCES);
    assert_int_equal(spawn_with(ok, "/nonexistent-dir", 0, 1, 1), -ENOENT);
    assert_int_equal(spawn_with(ok, "/etc/passwd", 0, 0, 0), -ENOTDIR);
    assert_int_equal(spawn_with(empty, NULL, 0, 0, 0), ASYNC_EINVAL);
    assert_int_equal(spawn_with(NULL, NULL, 0, 0, 0), ASYNC_EINVAL);
    assert_int_equal(spawn_with(ok, NULL, ASYNC_PROCESS_STDOUT, 0, 0),
                     ASYNC_EINVAL);
    assert_int_equal(spawn_with(ok, NULL, 0, ASYNC_PROCESS_STDOUT, 0),
                     ASYNC_EINVAL);
    assert_int_equal(spawn_with(ok, NULL, 0, 0, 9), ASYNC_EINVAL);
    assert_int_equal(async_process_spawn(&p, NULL), ASYNC_EINVAL);
    assert_no_children();
    return 0;
}

static void test_spawn_errors(void **state) {
    static const char *ok[] = {"true", NULL};

    (void)state;
    assert_int_equal(async_run(spawn_errors()), 0);
    /* Outside async_run. */
    assert_int_equal(spawn_with(ok, NULL, 0, 0, 0), ASYNC_EINVAL);
    assert_int_equal(async_process_pid(NULL), ASYNC_EINVAL);
    assert_int_equal(async_process_fd(NULL, 0), ASYNC_EINVAL);
    assert_int_equal(async_process_close_fd(NULL, 0), ASYNC_EINVAL);
    assert_int_equal(async_process_signal(NULL, SIGTERM), ASYNC_EINVAL);
    assert_int_equal(async_process_returncode(NULL, NULL), ASYNC_EINVAL);
    assert_int_equal(async_process_release(NULL), 0);
}

/* Signals: SIGTERM ends sleep; a bad number is refused. */
static async int signals(void) {
    static const char *argv[] = {"sleep", "10", NULL};
    async_process *p = start(argv, 0, 0, 0);

    assert_int_equal(async_process_signal(p, -1), ASYNC_EINVAL);
    assert_int_equal(async_process_signal(p, 1000), ASYNC_EINVAL);
    assert_int_equal(async_process_signal(p, 0), 0);
    assert_int_equal(async_process_signal(p, SIGTERM), 0);
    assert_int_equal(await(async_process_wait(p)), -SIGTERM);
    assert_int_equal(async_process_signal(p, 0), -ESRCH);
    return 0;
}

static void test_signals(void **state) {
    (void)state;
    assert_int_equal(async_run(signals()), 0);
}

static async int waiter(async_process *p) {
    return await(async_process_wait(p));
}

/* A cancelled wait: the child runs on, a new wait gets its status; two
 * waiters of one process both get it; release refused while waited. */
static async int cancelled_wait(void) {
    static const char *argv[] = {"sh", "-c", "sleep 0.2; exit 5", NULL};
    async_process *p = start(argv, 0, 0, 0);
    async_task *t = async_spawn(waiter(p)), *u;
    int err;

    assert_non_null(t);
    await(async_sleep(0.02));
    assert_int_equal(async_process_release(p), -EBUSY);
    async_cancel(t);
    async_try(await(t), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    assert_int_equal(async_process_signal(p, 0), 0); /* still running */
    assert_int_equal(async_process_returncode(p, NULL), 0);
    t = async_spawn(waiter(p));
    u = async_spawn(waiter(p));
    assert_int_equal(await(t), 5);
    assert_int_equal(await(u), 5);
    assert_int_equal(async_process_release(p), 0);
    return 0;
}

static void test_cancelled_wait(void **state) {
    (void)state;
    assert_int_equal(async_run(cancelled_wait()), 0);
}

/* A cancelled wait whose child exits later, never waited for again:
 * reaped by the runtime while the run goes on. */
static async int cancelled_then_reaped(void) {
    static const char *argv[] = {"sh", "-c", "sleep 0.1; exit 4", NULL};
    async_process *p = start(argv, 0, 0, 0);
    pid_t pid = async_process_pid(p);
    int err, st = 0;

    async_try(await(async_wait_for(async_process_wait(p), 0.02)), &err);
    assert_int_equal(err, ASYNC_ETIMEDOUT);
    await(async_sleep(0.5));
    assert_gone(pid);
    assert_int_equal(async_process_returncode(p, &st), 1);
    assert_int_equal(st, 4);
    return 0;
}

static void test_cancelled_then_reaped(void **state) {
    (void)state;
    assert_int_equal(async_run(cancelled_then_reaped()), 0);
}

/* Children never waited for, one released: all reaped as they exit. */
static async int never_waited(void) {
    static const char *quick[] = {"true", NULL};
    static const char *later[] = {"sleep", "0.1", NULL};
    async_process *a = start(quick, 0, 0, 0);
    async_process *b = start(later, 0, ASYNC_PROCESS_PIPE, 0);
    pid_t pa = async_process_pid(a), pb = async_process_pid(b);
    int st = -1;

    assert_int_equal(async_process_release(b), 0);
    await(async_sleep(0.4));
    assert_gone(pa);
    assert_gone(pb);
    assert_int_equal(async_process_returncode(a, &st), 1);
    assert_int_equal(st, 0);
    assert_no_children();
    return 0;
}

static void test_never_waited(void **state) {
    (void)state;
    assert_int_equal(async_run(never_waited()), 0);
}

static pid_t left_running[3];

/* Returns while three children run: one waited for by a task, one
 * released, one merely forgotten. */
static async int leave_running(void) {
    static const char *argv[] = {"sleep", "10", NULL};
    async_process *a = start(argv, 0, ASYNC_PROCESS_PIPE, 0);
    async_process *b = start(argv, 0, 0, 0);
    async_process *c = start(argv, ASYNC_PROCESS_PIPE, 0, 0);

    left_running[0] = async_process_pid(a);
    left_running[1] = async_process_pid(b);
    left_running[2] = async_process_pid(c);
    async_task_release(async_spawn(waiter(a)));
    async_process_release(b);
    await(async_sleep(0.01));
    return 0;
}

/* async_run kills and reaps them before it returns. */
static void test_run_end_kills(void **state) {
    struct timespec a, b;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(async_run(leave_running()), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    for (int i = 0; i < 3; i++)
        assert_gone(left_running[i]);
    assert_true(b.tv_sec - a.tv_sec < 3);
}

/* Other tasks run while a task waits for a child. */
static int ticks;

static async int ticker_task(void) {
    for (;;) {
        await(async_sleep(0.01));
        ticks++;
    }
    return 0;
}

static async int wait_while_ticking(void) {
    static const char *argv[] = {"sleep", "0.2", NULL};
    async_process *p = start(argv, 0, 0, 0);
    async_task *t = async_spawn(ticker_task());

    ticks = 0;
    assert_int_equal(await(async_process_wait(p)), 0);
    assert_true(ticks >= 5);
    async_cancel(t);
    return 0;
}

static void test_wait_while_ticking(void **state) {
    (void)state;
    assert_int_equal(async_run(wait_while_ticking()), 0);
}

/* The root waits for a child that nobody else awaits: no deadlock. */
static async int root_waits(void) {
    static const char *argv[] = {"sleep", "0.05", NULL};
    async_process *p = start(argv, 0, 0, 0);

    return await(async_process_wait(p));
}

static void test_root_waits(void **state) {
    (void)state;
    assert_int_equal(async_run(root_waits()), 0);
}

#define TESTS(name)                                                            \
    static const struct CMUnitTest name[] = {                                  \
        cmocka_unit_test_teardown(test_cat_echo, teardown),                    \
        cmocka_unit_test_teardown(test_exit_codes, teardown),                  \
        cmocka_unit_test_teardown(test_wait_or_kill, teardown),                \
        cmocka_unit_test_teardown(test_kill_at_once, teardown),                \
        cmocka_unit_test_teardown(test_big_output, teardown),                  \
        cmocka_unit_test_teardown(test_env_cwd, teardown),                     \
        cmocka_unit_test_teardown(test_env_inherited, teardown),               \
        cmocka_unit_test_teardown(test_devnull, teardown),                     \
        cmocka_unit_test_teardown(test_spawn_errors, teardown),                \
        cmocka_unit_test_teardown(test_signals, teardown),                     \
        cmocka_unit_test_teardown(test_cancelled_wait, teardown),              \
        cmocka_unit_test_teardown(test_cancelled_then_reaped, teardown),       \
        cmocka_unit_test_teardown(test_never_waited, teardown),                \
        cmocka_unit_test_teardown(test_run_end_kills, teardown),               \
        cmocka_unit_test_teardown(test_wait_while_ticking, teardown),          \
        cmocka_unit_test_teardown(test_root_waits, teardown),                  \
    }

/* The kernel has pidfd_open (Linux 5.3): then the first group must use
 * it. */
static int kernel_has_pidfd(void) {
#ifdef SYS_pidfd_open
    int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);

    if (fd >= 0) {
        close(fd);
        return 1;
    }
#endif
    return 0;
}

static int group_pidfd(void **state) {
    (void)state;
    unsetenv("ASYNCRT_NO_PIDFD");
    want_pidfd = kernel_has_pidfd();
    if (!want_pidfd)
        fprintf(stderr, "note: no pidfd_open here: both groups poll\n");
    return 0;
}

static int group_polling(void **state) {
    (void)state;
    setenv("ASYNCRT_NO_PIDFD", "1", 1);
    want_pidfd = 0;
    return 0;
}

int main(void) {
    TESTS(tests);
    int failed;

    failed = cmocka_run_group_tests_name("pidfd", tests, group_pidfd, NULL);
    failed +=
        cmocka_run_group_tests_name("polling", tests, group_polling, NULL);
    return failed != 0;
}
