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

/* ---- frames -------------------------------------------------------- */

/*
 * async int call(void *(*fn)(void *), intptr_t arg) {
 *     return (int)(intptr_t)await(async_to_thread(fn, (void *)arg));
 * }
 */
struct call__frame {
    int _state;
    struct async_to_thread__frame _a1;
    int _ret;
};

static int call__resume(void *frame) {
    struct call__frame *f = frame;
    int r;

    if (f->_state < 0)
        return ASYNC__READY;
    f->_state = 1;
    if ((r = async_to_thread__resume(&f->_a1)) == ASYNC__PENDING)
        return r;
    f->_state = -1;
    if (r == ASYNC__READY)
        f->_ret = (int)(intptr_t)f->_a1._ret;
    return r;
}

static async_task *spawn_call(void *(*fn)(void *), intptr_t arg) {
    async_task *t = test_task_new(sizeof(struct call__frame), call__resume,
                                  "call", offsetof(struct call__frame, _ret),
                                  sizeof(int), ASYNC__RESULT_SIGNED);
    struct call__frame *f;

    assert_non_null(t);
    f = async__task_frame(t);
    f->_state = 0;
    f->_ret = 0;
    async_to_thread__init(&f->_a1, fn, (void *)arg);
    async__task_start(t);
    return t;
}

/*
 * async int ticker(void) {
 *     while (!stop_ticking) {
 *         ticks++;
 *         await(async_sleep(0.002));
 *     }
 *     return ticks;
 * }
 */
static int ticks, stop_ticking;

struct ticker__frame {
    int _state;
    struct async_sleep__frame _a1;
    int _ret;
};

static int ticker__resume(void *frame) {
    struct ticker__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    while (!stop_ticking) {
        ticks++;
        async_sleep__init(&f->_a1, 0.002);
        f->_state = 1;
    await1:
        if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
            goto exit;
    }
    f->_ret = ticks;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

static async_task *spawn_ticker(void) {
    async_task *t =
        test_task_new(sizeof(struct ticker__frame), ticker__resume, "ticker",
                      offsetof(struct ticker__frame, _ret), sizeof(int),
                      ASYNC__RESULT_SIGNED);

    assert_non_null(t);
    ((struct ticker__frame *)async__task_frame(t))->_state = 0;
    async__task_start(t);
    return t;
}

/*
 * The root: a script of steps over the tasks t[].
 *
 *     async int script(const struct step *s, async_task **t) {
 *         for (; s->op != END; s++)
 *             switch (s->op) {
 *             case SLEEP: await(async_sleep(s->seconds)); break;
 *             case CANCEL: async_cancel(t[s->i]); break;
 *             case JOIN: res[s->i] = async_try(await(t[s->i]),
 *                                              &err[s->i]); break;
 *             case OPEN: gate_set(1); break;
 *             case STOP: stop_ticking = 1; break;
 *             case CHECK: done[s->i] = async_task_done(t[s->i]); break;
 *             case STARTED:   -- until s->i calls have started
 *                 while (counter(&calls_started) < s->i)
 *                     await(async_sleep(0.001));
 *                 break;
 *             }
 *         return 0;
 *     }
 */
enum { END, SLEEP, CANCEL, JOIN, OPEN, STOP, CHECK, STARTED };

struct step {
    int op;
    int i;
    double seconds;
};

static int res[8], err[8], done[8];

struct script__frame {
    int _state;
    const struct step *s;
    async_task **t;
    struct async_sleep__frame _a1;
    struct async_join__frame _a2;
    int _ret;
};

static int script__resume(void *frame) {
    struct script__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    case 2:
        goto await2;
    case 3:
        goto await3;
    default:
        return ASYNC__READY;
    }
    for (; f->s->op != END; f->s++) {
        switch (f->s->op) {
        case SLEEP:
            async_sleep__init(&f->_a1, f->s->seconds);
            f->_state = 1;
        await1:
            if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
                goto exit;
            break;
        case CANCEL:
            async_cancel(f->t[f->s->i]);
            break;
        case JOIN:
            async_join__init(&f->_a2, f->t[f->s->i]);
            f->_state = 2;
        await2:
            if ((r = async_join__resume(&f->_a2)) == ASYNC__PENDING)
                return r;
            res[f->s->i] = r == ASYNC__READY ? f->_a2._ret : 0;
            err[f->s->i] = r == ASYNC__FAILED ? async__take_error() : 0;
            break;
        case OPEN:
            gate_set(1);
            break;
        case STOP:
            stop_ticking = 1;
            break;
        case CHECK:
            done[f->s->i] = async_task_done(f->t[f->s->i]);
            break;
        case STARTED:
            while (counter(&calls_started) < f->s->i) {
                async_sleep__init(&f->_a1, 0.001);
                f->_state = 3;
            await3:
                if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
                    goto exit;
            }
            break;
        }
    }
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

static int run_script(const struct step *s, async_task **t) {
    struct script__frame f;

    f._state = 0;
    f.s = s;
    f.t = t;
    return RUN(script, &f);
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
    async_task *t[5];

    (void)state;
    t[0] = spawn_ticker();
    for (int i = 1; i <= 4; i++)
        t[i] = spawn_call(spin, 10 * i);
    assert_int_equal(run_script(s, t), 0);
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
    async_task *t[3];

    (void)state;
    assert_int_equal(async_thread_count(), 2);
    t[0] = spawn_call(gated, 1);
    t[1] = spawn_call(gated, 2);
    t[2] = spawn_call(gated, 3);
    assert_int_equal(run_script(s, t), 0);
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
    async_task *t[1];

    (void)state;
    t[0] = spawn_call(gated, 1);
    assert_int_equal(run_script(s, t), 0);
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
    async_task *t[3];

    (void)state;
    t[0] = spawn_call(nap, 1);
    t[1] = spawn_call(nap, 2);
    t[2] = spawn_call(nap, 3);
    assert_int_equal(run_script(s, t), 0);
    assert_int_equal(counter(&calls_finished), 2);
    usleep(80000);
    assert_int_equal(counter(&calls_started), 2);
    t[0] = spawn_call(nap, 7);
    assert_int_equal(run_script(s2, t), 0);
    assert_int_equal(res[0], 7);
}

/*
 * async int read_file(int fd, char *buf, size_t n, off_t offset) {
 *     return (int)await(async_file_read(fd, buf, n, offset));
 * }
 */
struct read_file__frame {
    int _state;
    struct async_file_read__frame _a1;
    int _ret;
};

static int read_file__resume(void *frame) {
    struct read_file__frame *f = frame;
    int r;

    if (f->_state < 0)
        return ASYNC__READY;
    f->_state = 1;
    if ((r = async_file_read__resume(&f->_a1)) == ASYNC__PENDING)
        return r;
    f->_state = -1;
    if (r == ASYNC__READY)
        f->_ret = (int)f->_a1._ret;
    return r;
}

static async_task *spawn_read_file(int fd, char *buf, size_t n, off_t off) {
    async_task *t =
        test_task_new(sizeof(struct read_file__frame), read_file__resume,
                      "read_file", offsetof(struct read_file__frame, _ret),
                      sizeof(int), ASYNC__RESULT_SIGNED);
    struct read_file__frame *f;

    assert_non_null(t);
    f = async__task_frame(t);
    f->_state = 0;
    f->_ret = 0;
    async_file_read__init(&f->_a1, fd, buf, n, off);
    async__task_start(t);
    return t;
}

static void test_file_read(void **state) {
    static const struct step s[] = {
        {JOIN, 0, 0}, {JOIN, 1, 0}, {JOIN, 2, 0}, {JOIN, 3, 0}, {END, 0, 0}};
    char path[] = "/tmp/asyncrt-test-XXXXXX";
    char a[16] = {0}, b[16] = {0}, c[4];
    async_task *t[4];
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, "hello, file", 11), 11);
    t[0] = spawn_read_file(fd, a, sizeof(a), 0);
    t[1] = spawn_read_file(fd, b, sizeof(b), 7);
    t[2] = spawn_read_file(-1, c, sizeof(c), 0);
    t[3] = spawn_read_file(fd, NULL, 1, 0);
    assert_int_equal(run_script(s, t), 0);
    assert_int_equal(res[0], 11);
    assert_string_equal(a, "hello, file");
    assert_int_equal(res[1], 4);
    assert_string_equal(b, "file");
    assert_int_equal(err[2], -EBADF);
    assert_int_equal(err[3], ASYNC_EINVAL);
    close(fd);
}

/*
 * async int write_file(int fd, const char *buf, size_t n, off_t offset) {
 *     return (int)await(async_file_write(fd, buf, n, offset));
 * }
 */
struct write_file__frame {
    int _state;
    struct async_file_write__frame _a1;
    int _ret;
};

static int write_file__resume(void *frame) {
    struct write_file__frame *f = frame;
    int r;

    if (f->_state < 0)
        return ASYNC__READY;
    f->_state = 1;
    if ((r = async_file_write__resume(&f->_a1)) == ASYNC__PENDING)
        return r;
    f->_state = -1;
    if (r == ASYNC__READY)
        f->_ret = (int)f->_a1._ret;
    return r;
}

static async_task *spawn_write_file(int fd, const char *buf, size_t n,
                                    off_t off) {
    async_task *t =
        test_task_new(sizeof(struct write_file__frame), write_file__resume,
                      "write_file", offsetof(struct write_file__frame, _ret),
                      sizeof(int), ASYNC__RESULT_SIGNED);
    struct write_file__frame *f;

    assert_non_null(t);
    f = async__task_frame(t);
    f->_state = 0;
    f->_ret = 0;
    async_file_write__init(&f->_a1, fd, buf, n, off);
    async__task_start(t);
    return t;
}

/* Writes at offsets land where asked, concurrently; a descriptor not
 * open for writing and a NULL buffer fail with their codes. */
static void test_file_write(void **state) {
    static const struct step s[] = {
        {JOIN, 0, 0}, {JOIN, 1, 0}, {JOIN, 2, 0}, {JOIN, 3, 0}, {END, 0, 0}};
    static char big[1 << 20];
    char path[] = "/tmp/asyncrt-test-XXXXXX";
    char back[16] = {0};
    async_task *t[4];
    int fd = mkstemp(path), ro;

    (void)state;
    assert_true(fd >= 0);
    ro = open(path, O_RDONLY);
    assert_true(ro >= 0);
    unlink(path);
    memset(big, 'x', sizeof big);
    t[0] = spawn_write_file(fd, "hello, ", 7, 0);
    t[1] = spawn_write_file(fd, big, sizeof big, 16);
    t[2] = spawn_write_file(ro, "no", 2, 0);
    t[3] = spawn_write_file(fd, NULL, 1, 0);
    assert_int_equal(run_script(s, t), 0);
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
    async_task *t[1];

    (void)state;
    t[0] = spawn_call(NULL, 0);
    assert_int_equal(run_script(s, t), 0);
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
