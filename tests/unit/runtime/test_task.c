/*
 * test_task.c -- spawned tasks: join results and their conversion to int,
 * async_task_result, several joiners, spurious polls, release, joining
 * NULL, and the contract violations that stop the program.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "frames.h"

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

struct point {
    double x;
    int y;
    char tag[5];
};

/* async T NAME(T value): one pass, then `value`, for every kind of
 * result a task can have. */
static async int8_t v_i8(int8_t value) {
    await(async_sleep(0));
    return value;
}

static async uint8_t v_u8(uint8_t value) {
    await(async_sleep(0));
    return value;
}

static async char v_char(char value) {
    await(async_sleep(0));
    return value;
}

static async int16_t v_i16(int16_t value) {
    await(async_sleep(0));
    return value;
}

static async uint16_t v_u16(uint16_t value) {
    await(async_sleep(0));
    return value;
}

static async int32_t v_i32(int32_t value) {
    await(async_sleep(0));
    return value;
}

static async uint32_t v_u32(uint32_t value) {
    await(async_sleep(0));
    return value;
}

static async int64_t v_i64(int64_t value) {
    await(async_sleep(0));
    return value;
}

static async uint64_t v_u64(uint64_t value) {
    await(async_sleep(0));
    return value;
}

static async bool v_bool(bool value) {
    await(async_sleep(0));
    return value;
}

static async double v_double(double value) {
    await(async_sleep(0));
    return value;
}

static async struct point v_point(struct point value) {
    await(async_sleep(0));
    return value;
}

/* A void async function: no result. */
static async void v_void(void) {}

static async int yielder(int id, int n) {
    for (int i = 0; i < n; i++) {
        event(id);
        await(async_sleep(0));
    }
    return n;
}

static async int sleeper(int id, double seconds) {
    event(id);
    await(async_sleep(seconds));
    event(SLEEPER_END + id);
    return id;
}

/*
 * The joiner of test_spurious_join_polls:
 *     async int joiner(int id, async_task *t) {
 *         int v = await(t);
 *         event(id);
 *         return v;
 *     }
 * Hand-written: it also wakes itself while it waits, so the join is
 * polled spuriously on every pass, and it counts the polls.
 */
struct restless__frame {
    int _state;
    int id;
    async_task *t;
    int polls;
    struct async_join__frame _a1;
    int _ret;
};

static int restless__resume(void *frame) {
    struct restless__frame *f = frame;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    async_join__init(&f->_a1, f->t);
    f->_state = 1;
await1:
    f->polls++;
    if (async_join__resume(&f->_a1) == ASYNC__PENDING) {
        async__wake(async__current());
        return ASYNC__PENDING;
    }
    event(f->id);
    f->_ret = f->_a1._ret;
    f->_state = -1;
    return ASYNC__READY;
}

static async_task *spawn_restless(int id, async_task *target) {
    async_task *t =
        test_task_new(sizeof(struct restless__frame), restless__resume,
                      "joiner", offsetof(struct restless__frame, _ret),
                      sizeof(int), ASYNC__RESULT_SIGNED);
    struct restless__frame *f = async__task_frame(t);

    f->_state = 0;
    f->id = id;
    f->t = target;
    f->polls = 0;
    async__task_start(t);
    return t;
}

static async int joiner(int id, async_task *t) {
    int v = await(t);

    event(id);
    return v;
}

/* The tasks a test's root spawns (see spawn_set). */
enum set {
    INTS,
    OTHERS,
    TARGET_AND_JOINERS,
    TARGET_AND_RESTLESS,
    SOME,
    ONE_INT,
    ONE_VOID,
    NULL_TASK
};

/* Spawns the tasks of `set` into t[]; returns how many. */
static async int spawn_set(enum set set, async_task **t) {
    struct point p = {-1.25, 42, "abcd"};
    async_task *target;
    int k = 0;

    switch (set) {
    case INTS:
        t[k++] = async_spawn(v_i8(-5));
        t[k++] = async_spawn(v_u8(250));
        t[k++] = async_spawn(v_char('A'));
        t[k++] = async_spawn(v_i16(-300));
        t[k++] = async_spawn(v_u16(65000));
        t[k++] = async_spawn(v_i32(INT32_MIN));
        t[k++] = async_spawn(v_u32(4000000000u));
        t[k++] = async_spawn(v_i64(-7));
        t[k++] = async_spawn(v_i64(((int64_t)1 << 40) + 5));
        t[k++] = async_spawn(v_u64(123));
        t[k++] = async_spawn(v_bool(true));
        t[k++] = async_spawn(v_double(2.5));
        t[k++] = async_spawn(v_void());
        break;
    case OTHERS:
        t[k++] = async_spawn(v_point(p));
        t[k++] = async_spawn(v_double(6.5));
        break;
    case TARGET_AND_JOINERS:
        /* The root and three joiner tasks await one target. */
        target = async_spawn(sleeper(1, 0.005));
        t[k++] = target;
        t[k++] = async_spawn(joiner(11, target));
        t[k++] = async_spawn(joiner(12, target));
        t[k++] = async_spawn(joiner(13, target));
        break;
    case TARGET_AND_RESTLESS:
        target = async_spawn(sleeper(1, 0.020));
        t[k++] = spawn_restless(11, target);
        break;
    case SOME:
        t[k++] = async_spawn(sleeper(1, 0));
        t[k++] = async_spawn(yielder(2, 0));
        /* Released at once: runs on, freed when it ends. */
        async_task_release(async_spawn(sleeper(3, 0)));
        async_task_release(NULL);
        break;
    case ONE_INT:
        t[k++] = async_spawn(v_i32(3));
        break;
    case ONE_VOID:
        t[k++] = async_spawn(v_void());
        break;
    case NULL_TASK:
        t[k++] = NULL;
        break;
    }
    return k;
}

enum { MAX_TASKS = 16 };

/* What join_all saw: each task's result, and whether it had finished
 * before its await. */
static int results[MAX_TASKS];
static int done_before_join[MAX_TASKS];

/*
 * The root of most tests here: spawns the tasks of `set`, yields
 * `yields` times, then awaits each task in turn, hands it to `inspect`
 * (which reads async_task_result) and, with `release`, releases it.
 */
static async int join_all(enum set set, void (*inspect)(int, async_task *),
                          int yields, int release) {
    async_task *t[MAX_TASKS];
    int n = await(spawn_set(set, t));

    for (int y = 0; y < yields; y++)
        await(async_sleep(0));
    for (int i = 0; i < n; i++) {
        done_before_join[i] = async_task_done(t[i]);
        results[i] = await(t[i]);
        if (inspect != NULL)
            inspect(i, t[i]);
        if (release)
            async_task_release(t[i]);
    }
    return n;
}

static void reset_join_all(void) {
    memset(results, 0, sizeof results);
    memset(done_before_join, 0, sizeof done_before_join);
}

static const int int_results[] = {
    -5, 250, 'A', -300, 65000, INT32_MIN, (int)(uint32_t)4000000000u,
    -7, 5,   123, 1,    0,     0};

/* await(t) converts integer results to int as C would; anything else
 * joins as 0.  Covers both paths of join: the task still running, and
 * already finished before the await. */
static void test_join_converts_results(void **state) {
    (void)state;
    for (int finished_first = 0; finished_first < 2; finished_first++) {
        reset_join_all();
        /* Two yields: the value tasks need two passes to finish. */
        assert_int_equal(
            async_run(join_all(INTS, NULL, finished_first ? 2 : 0, 1)), 13);
        for (int i = 0; i < 13; i++)
            assert_int_equal(results[i], int_results[i]);
        /* Without the yields, the first join waits; by the time it ends,
         * the others have finished too. */
        assert_int_equal(done_before_join[0], finished_first);
        assert_int_equal(done_before_join[12], 1);
    }
}

static struct point point_seen;
static double double_seen;

static void inspect_others(int i, async_task *t) {
    assert_true(async_task_done(t));
    if (i == 0)
        point_seen = async_task_result(t, struct point);
    else
        double_seen = async_task_result(t, double);
}

static void test_task_result_of_struct(void **state) {
    (void)state;
    memset(&point_seen, 0, sizeof(point_seen));
    reset_join_all();
    results[0] = results[1] = -1;
    assert_int_equal(async_run(join_all(OTHERS, inspect_others, 0, 0)), 2);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], 0);
    assert_true(point_seen.x == -1.25);
    assert_int_equal(point_seen.y, 42);
    assert_string_equal(point_seen.tag, "abcd");
    assert_true(double_seen == 6.5);
}

/* The root and three joiner tasks await one target: all get its result,
 * woken in the order they started waiting. */
static void inspect_mark(int i, async_task *t) {
    (void)t;
    event(90 + i);
}

static void test_several_joiners(void **state) {
    static const int want[] = {1, 101, 90, 11, 12, 13, 91, 92, 93};

    (void)state;
    reset_join_all();
    assert_int_equal(
        async_run(join_all(TARGET_AND_JOINERS, inspect_mark, 0, 0)), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(results[i], 1);
    assert_events(want, 9);
}

/* A joiner polled on every pass while it waits: the spurious polls must
 * neither end the join early nor add its waiter to the list twice. */
static int restless_polls;

static void inspect_polls(int i, async_task *t) {
    (void)i;
    restless_polls = ((struct restless__frame *)async__task_frame(t))->polls;
}

static void test_spurious_join_polls(void **state) {
    static const int want[] = {1, 101, 11};

    (void)state;
    reset_join_all();
    assert_int_equal(
        async_run(join_all(TARGET_AND_RESTLESS, inspect_polls, 0, 1)), 1);
    assert_int_equal(results[0], 1);
    assert_true(restless_polls > 2);
    assert_events(want, 3);
}

/* Handles released before and after the task ended, and never released:
 * all freed exactly once (valgrind and ASan check this test). */
static void test_release(void **state) {
    (void)state;
    assert_false(async_task_done(NULL));
    for (int release = 0; release < 2; release++) {
        reset_join_all();
        results[1] = -1;
        assert_int_equal(async_run(join_all(SOME, NULL, 3, release)), 2);
        assert_int_equal(results[0], 1);
        assert_int_equal(results[1], 0);
    }
}

/* Runs fn in a child process and checks that it aborts with `needle` in
 * its message. */
static void expect_abort(void (*fn)(void), const char *needle) {
    char buf[4096];
    size_t len = 0;
    ssize_t got;
    int fds[2], status;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    while (len < sizeof(buf) - 1 &&
           (got = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)got;
    buf[len] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    if (strstr(buf, needle) == NULL)
        fail_msg("expected \"%s\" in:\n%s", needle, buf);
}

static void result_of_null(void) { (void)async_task_result(NULL, int); }

static async int unfinished(void) {
    async_task *t = async_spawn(v_i32(1)); /* queued, not run yet */

    (void)async_task_result(t, int32_t);
    return 0;
}

static void result_unfinished(void) { (void)async_run(unfinished()); }

static void inspect_wrong_size(int i, async_task *t) {
    (void)i;
    (void)async_task_result(t, int64_t);
}

static void result_wrong_size(void) {
    (void)async_run(join_all(ONE_INT, inspect_wrong_size, 0, 0));
}

static void inspect_void(int i, async_task *t) {
    (void)i;
    (void)async_task_result(t, char);
}

static void result_of_void(void) {
    (void)async_run(join_all(ONE_VOID, inspect_void, 0, 0));
}

/*
 * async int join_null(void) {
 *     return await((async_task *)NULL);
 * }
 * Hand-written: the test reads the states of its frame and of the join's
 * frame after the join failed.
 */
struct join_null__frame {
    int _state;
    struct async_join__frame _a1;
    int _ret;
};

static int join_null__resume(void *frame) {
    struct join_null__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    async_join__init(&f->_a1, NULL);
    f->_state = 1;
await1:
    if ((r = async_join__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    f->_ret = f->_a1._ret;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* Joining NULL (what async_spawn returns when out of memory) fails with
 * ASYNC_EINVAL, which fails the run: in the dialect, and with the
 * frames' states checked. */
static void test_join_null_fails(void **state) {
    struct join_null__frame f;

    (void)state;
    reset_join_all();
    errno = 0;
    assert_int_equal(async_run(join_all(NULL_TASK, NULL, 0, 0)), -1);
    assert_int_equal(errno, EINVAL);
    memset(&f, 0, sizeof f);
    errno = 0;
    assert_int_equal(RUN(join_null, &f), ASYNC_EINVAL);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(f._state, -1);
    assert_int_equal(f._a1._state, -1);
}

static void test_contract_violations_abort(void **state) {
    (void)state;
    expect_abort(result_of_null,
                 "asyncrt: async_task_result: the task handle is NULL");
    expect_abort(result_unfinished,
                 "asyncrt: async_task_result: task 'v_i32' has not finished");
    expect_abort(result_wrong_size, "(4 bytes), not 8 bytes");
    expect_abort(result_of_void, "task 'v_void' returns void");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_join_converts_results, setup),
        cmocka_unit_test_setup(test_task_result_of_struct, setup),
        cmocka_unit_test_setup(test_several_joiners, setup),
        cmocka_unit_test_setup(test_spurious_join_polls, setup),
        cmocka_unit_test_setup(test_release, setup),
        cmocka_unit_test_setup(test_join_null_fails, setup),
        cmocka_unit_test_setup(test_contract_violations_abort, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
