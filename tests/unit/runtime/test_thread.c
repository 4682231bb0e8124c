/*
 * test_thread.c -- async_to_thread and async_file_read: CPU-bound calls
 * run on worker threads while a ticking task keeps running; a call
 * cancelled before a worker took it never runs; a call cancelled while
 * running is waited for; async_run ending with calls outstanding drops
 * the queued ones and waits for the running ones; bad arguments.
 * The pool has 2 threads (ASYNCRT_THREADS, set by main).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"

/* ---- what the worker threads run ---------------------------------- */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;
static int calls_started, calls_finished; /* under gate_mu */

static void gate_set(int open) {
    pthread_mutex_lock(&gate_mu);
    gate_open = open;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static int counter(int *c) {
    int v;

    pthread_mutex_lock(&gate_mu);
    v = *c;
    pthread_mutex_unlock(&gate_mu);
    return v;
}

/* Waits until the gate opens; returns arg + 1. */
static void *gated(void *arg) {
    pthread_mutex_lock(&gate_mu);
    calls_started++;
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    calls_finished++;
    pthread_mutex_unlock(&gate_mu);
    return (char *)arg + 1;
}

/* Burns about 60 ms of CPU time; returns arg + 1. */
static void *spin(void *arg) {
    struct timespec ts;
    volatile uint64_t x = 0;

    do {
        for (int i = 0; i < 10000; i++)
            x = x * 6364136223846793005u + 1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    } while (ts.tv_sec == 0 && ts.tv_nsec < 60000000);
    pthread_mutex_lock(&gate_mu);
    calls_finished++;
    pthread_mutex_unlock(&gate_mu);
    return (char *)arg + 1;
}

/* Sleeps 50 ms; counts its start and end. */
static void *nap(void *arg) {
    pthread_mutex_lock(&gate_mu);
    calls_started++;
    pthread_mutex_unlock(&gate_mu);
    usleep(50000);
    pthread_mutex_lock(&gate_mu);
    calls_finished++;
    pthread_mutex_unlock(&gate_mu);
    return arg;
}

/* ---- async functions ---------------------------------------------- */

static async int call(void *(*fn)(void *), intptr_t arg) {
    return (int)(intptr_t)await(async_to_thread(fn, (void *)arg));
}

static int ticks, stop_ticking;

static async int ticker(void) {
    while (!stop_ticking) {
        ticks++;
        await(async_sleep(0.002));
    }
    return ticks;
}

static async int read_file(int fd, char *buf, size_t n, off_t offset) {
    return (int)await(async_file_read(fd, buf, n, offset));
}

static async int write_file(int fd, const char *buf, size_t n, off_t offset) {
    return (int)await(async_file_write(fd, buf, n, offset));
}

/* A task for the script to spawn: call(fn, arg), ticker(), or
 * read_file/write_file(fd, buf, n, offset). */
enum kind { CALL, TICKER, READ_FILE, WRITE_FILE };

struct spawn {
    enum kind kind;
    void *(*fn)(void *);
    intptr_t arg;
    int fd;
    char *rbuf;       /* read_file's */
    const char *wbuf; /* write_file's */
    size_t n;
    off_t offset;
};

/*
 * The root: spawns the tasks t[] of `sp`, in order, then runs a script
 * of steps over them:
 * SLEEP: await(async_sleep(seconds)); CANCEL: async_cancel(t[i]);
 * JOIN: res[i] = async_try(await(t[i]), &err[i]); OPEN: gate_set(1);
 * STOP: stop_ticking = 1; CHECK: done[i] = async_task_done(t[i]);
 * STARTED: sleeps until i calls have started.
 */
enum { END, SLEEP, CANCEL, JOIN, OPEN, STOP, CHECK, STARTED };

struct step {
    int op;
    int i;
    double seconds;
};

enum { MAX_TASKS = 8 };

static int res[MAX_TASKS], err[MAX_TASKS], done[MAX_TASKS];

static async int script(const struct step *s, const struct spawn *sp, int n) {
    async_task *t[MAX_TASKS];

    assert_true(n <= MAX_TASKS);
    for (int i = 0; i < n; i++) {
        switch (sp[i].kind) {
        case CALL:
            t[i] = async_spawn(call(sp[i].fn, sp[i].arg));
            break;
        case TICKER:
            t[i] = async_spawn(ticker());
            break;
        case READ_FILE:
            t[i] = async_spawn(
                read_file(sp[i].fd, sp[i].rbuf, sp[i].n, sp[i].offset));
            break;
        case WRITE_FILE:
            t[i] = async_spawn(
                write_file(sp[i].fd, sp[i].wbuf, sp[i].n, sp[i].offset));
            break;
        }
        assert_non_null(t[i]);
    }
    for (; s->op != END; s++) {
        switch (s->op) {
        case SLEEP:
            await(async_sleep(s->seconds));
            break;
        case CANCEL:
            async_cancel(t[s->i]);
            break;
        case JOIN:
            res[s->i] = async_try(await(t[s->i]), &err[s->i]);
            break;
        case OPEN:
            gate_set(1);
            break;
        case STOP:
            stop_ticking = 1;
            break;
        case CHECK:
            done[s->i] = async_task_done(t[s->i]);
            break;
        case STARTED:
            while (counter(&calls_started) < s->i)
                await(async_sleep(0.001));
            break;
        }
    }
    return 0;
}

static struct spawn sp_call(void *(*fn)(void *), intptr_t arg) {
    struct spawn sp = {CALL, fn, arg, -1, NULL, NULL, 0, 0};

    return sp;
}

static struct spawn sp_ticker(void) {
    struct spawn sp = {TICKER, NULL, 0, -1, NULL, NULL, 0, 0};

    return sp;
}

static struct spawn sp_read(int fd, char *buf, size_t n, off_t offset) {
    struct spawn sp = {READ_FILE, NULL, 0, fd, buf, NULL, n, offset};

    return sp;
}

static struct spawn sp_write(int fd, const char *buf, size_t n, off_t offset) {
    struct spawn sp = {WRITE_FILE, NULL, 0, fd, NULL, buf, n, offset};

    return sp;
}

static int run_script(const struct step *s, const struct spawn *sp, int n) {
    return async_run(script(s, sp, n));
}

static int setup(void **state) {
    (void)state;
    gate_set(0);
    pthread_mutex_lock(&gate_mu);
    calls_started = calls_finished = 0;
    pthread_mutex_unlock(&gate_mu);
    ticks = stop_ticking = 0;
    memset(res, 0, sizeof(res));
    memset(err, 0, sizeof(err));
    memset(done, 0, sizeof(done));
    return 0;
}

/* ---- tests --------------------------------------------------------- */

/* Four CPU-bound calls on two workers (about 120 ms) while the ticker
 * ticks every 2 ms: the loop is never blocked. */
static void test_cpu_calls_do_not_block_the_loop(void **state) {
    static const struct step s[] = {{JOIN, 1, 0}, {JOIN, 2, 0}, {JOIN, 3, 0},
                                    {JOIN, 4, 0}, {STOP, 0, 0}, {JOIN, 0, 0},
                                    {END, 0, 0}};
    struct spawn t[5];

    (void)state;
    t[0] = sp_ticker();
    for (int i = 1; i <= 4; i++)
        t[i] = sp_call(spin, 10 * i);
    assert_int_equal(run_script(s, t, 5), 0);
    for (int i = 1; i <= 4; i++) {
        assert_int_equal(err[i], 0);
        assert_int_equal(res[i], 10 * i + 1);
    }
    assert_int_equal(counter(&calls_finished), 4);
    assert_true(res[0] >= 5); /* ticks while the calls ran */
}

/* Both workers are busy behind the gate; a third call is cancelled while
 * queued: it fails at once and never runs, even after the gate opens. */
static void test_cancel_before_start(void **state) {
    static const struct step s[] = {
        {STARTED, 2, 0}, {CANCEL, 2, 0}, {JOIN, 2, 0},     {OPEN, 0, 0},
        {JOIN, 0, 0},    {JOIN, 1, 0},   {SLEEP, 0, 0.02}, {END, 0, 0}};
    struct spawn t[3];

    (void)state;
    assert_int_equal(async_thread_count(), 2);
    t[0] = sp_call(gated, 1);
    t[1] = sp_call(gated, 2);
    t[2] = sp_call(gated, 3);
    assert_int_equal(run_script(s, t, 3), 0);
    assert_int_equal(err[2], ASYNC_ECANCELED);
    assert_int_equal(res[0], 2);
    assert_int_equal(res[1], 3);
    assert_int_equal(counter(&calls_started), 2);
    assert_int_equal(counter(&calls_finished), 2);
}

/* A running call cannot be stopped: the cancelled await waits for it,
 * then fails with ASYNC_ECANCELED. */
static void test_cancel_while_running(void **state) {
    static const struct step s[] = {
        {STARTED, 1, 0}, {CANCEL, 0, 0}, {SLEEP, 0, 0.02}, {CHECK, 0, 0},
        {OPEN, 0, 0},    {JOIN, 0, 0},   {END, 0, 0}};
    struct spawn t[1];

    (void)state;
    t[0] = sp_call(gated, 1);
    assert_int_equal(run_script(s, t, 1), 0);
    assert_int_equal(done[0], 0); /* still waiting for the call */
    assert_int_equal(counter(&calls_started), 1);
    assert_int_equal(err[0], ASYNC_ECANCELED);
    assert_int_equal(counter(&calls_finished), 1);
}

/* async_run returns while two calls run and one is queued: it waits for
 * the running ones (their frames are freed next) and drops the queued
 * one, which never runs.  The pool serves the next run normally. */
static void test_run_ends_with_calls_outstanding(void **state) {
    static const struct step s[] = {{STARTED, 2, 0}, {END, 0, 0}};
    static const struct step s2[] = {{JOIN, 0, 0}, {END, 0, 0}};
    struct spawn t[3];

    (void)state;
    t[0] = sp_call(nap, 1);
    t[1] = sp_call(nap, 2);
    t[2] = sp_call(nap, 3);
    assert_int_equal(run_script(s, t, 3), 0);
    assert_int_equal(counter(&calls_finished), 2);
    usleep(80000);
    assert_int_equal(counter(&calls_started), 2);
    t[0] = sp_call(nap, 7);
    assert_int_equal(run_script(s2, t, 1), 0);
    assert_int_equal(res[0], 7);
}

static void test_file_read(void **state) {
    static const struct step s[] = {
        {JOIN, 0, 0}, {JOIN, 1, 0}, {JOIN, 2, 0}, {JOIN, 3, 0}, {END, 0, 0}};
    char path[] = "/tmp/asyncrt-test-XXXXXX";
    char a[16] = {0}, b[16] = {0}, c[4];
    struct spawn t[4];
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, "hello, file", 11), 11);
    t[0] = sp_read(fd, a, sizeof(a), 0);
    t[1] = sp_read(fd, b, sizeof(b), 7);
    t[2] = sp_read(-1, c, sizeof(c), 0);
    t[3] = sp_read(fd, NULL, 1, 0);
    assert_int_equal(run_script(s, t, 4), 0);
    assert_int_equal(res[0], 11);
    assert_string_equal(a, "hello, file");
    assert_int_equal(res[1], 4);
    assert_string_equal(b, "file");
    assert_int_equal(err[2], -EBADF);
    assert_int_equal(err[3], ASYNC_EINVAL);
    close(fd);
}

/* Writes at offsets land where asked, concurrently; a descriptor not
 * open for writing and a NULL buffer fail with their codes. */
static void test_file_write(void **state) {
    static const struct step s[] = {
        {JOIN, 0, 0}, {JOIN, 1, 0}, {JOIN, 2, 0}, {JOIN, 3, 0}, {END, 0, 0}};
    static char big[1 << 20];
    char path[] = "/tmp/asyncrt-test-XXXXXX";
    char back[16] = {0};
    struct spawn t[4];
    int fd = mkstemp(path), ro;

    (void)state;
    assert_true(fd >= 0);
    ro = open(path, O_RDONLY);
    assert_true(ro >= 0);
    unlink(path);
    memset(big, 'x', sizeof big);
    t[0] = sp_write(fd, "hello, ", 7, 0);
    t[1] = sp_write(fd, big, sizeof big, 16);
    t[2] = sp_write(ro, "no", 2, 0);
    t[3] = sp_write(fd, NULL, 1, 0);
    assert_int_equal(run_script(s, t, 4), 0);
    assert_int_equal(res[0], 7);
    assert_int_equal(res[1], (int)sizeof big);
    assert_int_equal(err[2], -EBADF);
    assert_int_equal(err[3], ASYNC_EINVAL);
    assert_int_equal(pread(fd, back, 7, 0), 7);
    assert_string_equal(back, "hello, ");
    assert_int_equal(lseek(fd, 0, SEEK_END), 16 + (off_t)sizeof big);
    close(fd);
    close(ro);
}

static void test_null_function(void **state) {
    static const struct step s[] = {{JOIN, 0, 0}, {END, 0, 0}};
    struct spawn t[1];

    (void)state;
    t[0] = sp_call(NULL, 0);
    assert_int_equal(run_script(s, t, 1), 0);
    assert_int_equal(err[0], ASYNC_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cpu_calls_do_not_block_the_loop, setup),
        cmocka_unit_test_setup(test_cancel_before_start, setup),
        cmocka_unit_test_setup(test_cancel_while_running, setup),
        cmocka_unit_test_setup(test_run_ends_with_calls_outstanding, setup),
        cmocka_unit_test_setup(test_file_read, setup),
        cmocka_unit_test_setup(test_file_write, setup),
        cmocka_unit_test_setup(test_null_function, setup),
    };

    setenv("ASYNCRT_THREADS", "2", 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
