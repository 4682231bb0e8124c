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

#define FRAMES_HAND_WRITTEN

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

/*
 * async T NAME(T value) {
 *     await(async_sleep(0));
 *     return value;
 * }
 * and spawn_NAME(value), the code asyncc generates for
 * async_spawn(NAME(value)) with KIND the result kind of T.
 */
#define DEFINE_VALUE(name, T, kind)                                            \
    struct name##__frame {                                                     \
        int _state;                                                            \
        T value;                                                               \
        struct async_sleep__frame _a1;                                         \
        T _ret;                                                                \
    };                                                                         \
    static int name##__resume(void *frame) {                                   \
        struct name##__frame *f = frame;                                       \
        switch (f->_state) {                                                   \
        case 0:                                                                \
            break;                                                             \
        case 1:                                                                \
            goto await1;                                                       \
        default:                                                               \
            return ASYNC__READY;                                               \
        }                                                                      \
        async_sleep__init(&f->_a1, 0);                                         \
        f->_state = 1;                                                         \
    await1:                                                                    \
        if (async_sleep__resume(&f->_a1) == ASYNC__PENDING)                    \
            return ASYNC__PENDING;                                             \
        f->_ret = f->value;                                                    \
        f->_state = -1;                                                        \
        return ASYNC__READY;                                                   \
    }                                                                          \
    static async_task *spawn_##name(T value) {                                 \
        async_task *t = test_task_new(                                         \
            sizeof(struct name##__frame), name##__resume, #name,               \
            offsetof(struct name##__frame, _ret), sizeof(T), kind);            \
        if (t != NULL) {                                                       \
            struct name##__frame *f = async__task_frame(t);                    \
            f->_state = 0;                                                     \
            f->value = value;                                                  \
            async__task_start(t);                                              \
        }                                                                      \
        return t;                                                              \
    }

DEFINE_VALUE(v_i8, int8_t, ASYNC__RESULT_SIGNED)
DEFINE_VALUE(v_u8, uint8_t, ASYNC__RESULT_UNSIGNED)
DEFINE_VALUE(v_char, char, ASYNC__RESULT_SIGNED)
DEFINE_VALUE(v_i16, int16_t, ASYNC__RESULT_SIGNED)
DEFINE_VALUE(v_u16, uint16_t, ASYNC__RESULT_UNSIGNED)
DEFINE_VALUE(v_i32, int32_t, ASYNC__RESULT_SIGNED)
DEFINE_VALUE(v_u32, uint32_t, ASYNC__RESULT_UNSIGNED)
DEFINE_VALUE(v_i64, int64_t, ASYNC__RESULT_SIGNED)
DEFINE_VALUE(v_u64, uint64_t, ASYNC__RESULT_UNSIGNED)
DEFINE_VALUE(v_bool, bool, ASYNC__RESULT_UNSIGNED)
DEFINE_VALUE(v_double, double, ASYNC__RESULT_OTHER)
DEFINE_VALUE(v_point, struct point, ASYNC__RESULT_OTHER)

/* A void async function: no _ret member, result size 0. */
static int v_void__resume(void *frame) {
    struct stuck__frame *f = frame;

    f->_state = -1;
    return ASYNC__READY;
}

static async_task *spawn_v_void(void) {
    async_task *t = test_task_new(sizeof(struct stuck__frame), v_void__resume,
                                  "v_void", 0, 0, ASYNC__RESULT_NONE);

    if (t != NULL) {
        stuck__init(async__task_frame(t));
        async__task_start(t);
    }
    return t;
}

enum { MAX_TASKS = 16 };

/*
 * async int join_all(void) -- the root of most tests here:
 *     spawn(t, &n);                      -- a test-specific spawner
 *     for (int y = 0; y < yields; y++)
 *         await(async_sleep(0));
 *     for (int i = 0; i < n; i++) {
 *         results[i] = await(t[i]);
 *         inspect(i, t[i]);               -- reads async_task_result
 *         if (release) async_task_release(t[i]);
 *     }
 */
struct join_all__frame {
    int _state;
    void (*spawn)(async_task **t, int *n);
    void (*inspect)(int i, async_task *t);
    int yields;
    int y;
    int release;
    async_task *t[MAX_TASKS];
    int n;
    int i;
    int done_before_join[MAX_TASKS];
    int results[MAX_TASKS];
    struct async_sleep__frame _a1;
    struct async_join__frame _a2;
    int _ret;
};

static void join_all__init(struct join_all__frame *f,
                           void (*spawn)(async_task **, int *), int yields,
                           int release) {
    memset(f, 0, sizeof(*f));
    f->spawn = spawn;
    f->yields = yields;
    f->release = release;
}

static int join_all__resume(void *frame) {
    struct join_all__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    case 2:
        goto await2;
    default:
        return ASYNC__READY;
    }
    f->spawn(f->t, &f->n);
    for (f->y = 0; f->y < f->yields; f->y++) {
        async_sleep__init(&f->_a1, 0);
        f->_state = 1;
    await1:
        if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
            goto exit;
    }
    for (f->i = 0; f->i < f->n; f->i++) {
        f->done_before_join[f->i] = async_task_done(f->t[f->i]);
        async_join__init(&f->_a2, f->t[f->i]);
        f->_state = 2;
    await2:
        if ((r = async_join__resume(&f->_a2)) != ASYNC__READY)
            goto exit;
        f->results[f->i] = f->_a2._ret;
        if (f->inspect != NULL)
            f->inspect(f->i, f->t[f->i]);
        if (f->release)
            async_task_release(f->t[f->i]);
    }
    f->_ret = f->n;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

static void spawn_ints(async_task **t, int *n) {
    int k = 0;

    t[k++] = spawn_v_i8(-5);
    t[k++] = spawn_v_u8(250);
    t[k++] = spawn_v_char('A');
    t[k++] = spawn_v_i16(-300);
    t[k++] = spawn_v_u16(65000);
    t[k++] = spawn_v_i32(INT32_MIN);
    t[k++] = spawn_v_u32(4000000000u);
    t[k++] = spawn_v_i64(-7);
    t[k++] = spawn_v_i64(((int64_t)1 << 40) + 5);
    t[k++] = spawn_v_u64(123);
    t[k++] = spawn_v_bool(true);
    t[k++] = spawn_v_double(2.5);
    t[k++] = spawn_v_void();
    *n = k;
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
        struct join_all__frame f;

        /* Two yields: the value tasks need two passes to finish. */
        join_all__init(&f, spawn_ints, finished_first ? 2 : 0, 1);
        assert_int_equal(RUN(join_all, &f), 0);
        assert_int_equal(f._ret, 13);
        for (int i = 0; i < 13; i++)
            assert_int_equal(f.results[i], int_results[i]);
        /* Without the yields, the first join waits; by the time it ends,
         * the others have finished too. */
        assert_int_equal(f.done_before_join[0], finished_first);
        assert_int_equal(f.done_before_join[12], 1);
    }
}

static struct point point_seen;
static double double_seen;

static void spawn_others(async_task **t, int *n) {
    struct point p = {-1.25, 42, "abcd"};

    t[0] = spawn_v_point(p);
    t[1] = spawn_v_double(6.5);
    *n = 2;
}

static void inspect_others(int i, async_task *t) {
    assert_true(async_task_done(t));
    if (i == 0)
        point_seen = async_task_result(t, struct point);
    else
        double_seen = async_task_result(t, double);
}

static void test_task_result_of_struct(void **state) {
    struct join_all__frame f;

    (void)state;
    memset(&point_seen, 0, sizeof(point_seen));
    join_all__init(&f, spawn_others, 0, 0);
    f.inspect = inspect_others;
    assert_int_equal(RUN(join_all, &f), 0);
    assert_int_equal(f.results[0], 0);
    assert_int_equal(f.results[1], 0);
    assert_true(point_seen.x == -1.25);
    assert_int_equal(point_seen.y, 42);
    assert_string_equal(point_seen.tag, "abcd");
    assert_true(double_seen == 6.5);
}

/*
 * async int joiner(int id, async_task *t) {
 *     int v = await(t);
 *     event(id);
 *     return v;
 * }
 * With restless set it also wakes itself while it waits, so the join is
 * polled spuriously on every pass.
 */
struct joiner__frame {
    int _state;
    int id;
    async_task *t;
    int restless;
    int polls;
    struct async_join__frame _a1;
    int _ret;
};

static int joiner__resume(void *frame) {
    struct joiner__frame *f = frame;

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
        if (f->restless)
            async__wake(async__current());
        return ASYNC__PENDING;
    }
    event(f->id);
    f->_ret = f->_a1._ret;
    f->_state = -1;
    return ASYNC__READY;
}

static async_task *target;

static async_task *spawn_joiner(int id, int restless) {
    async_task *t =
        test_task_new(sizeof(struct joiner__frame), joiner__resume, "joiner",
                      offsetof(struct joiner__frame, _ret), sizeof(int),
                      ASYNC__RESULT_SIGNED);
    struct joiner__frame *f = async__task_frame(t);

    f->_state = 0;
    f->id = id;
    f->t = target;
    f->restless = restless;
    f->polls = 0;
    async__task_start(t);
    return t;
}

/* The root and three joiner tasks await one target: all get its result,
 * woken in the order they started waiting. */
static void spawn_target_and_joiners(async_task **t, int *n) {
    target = spawn_sleeper(1, 0.005);
    t[0] = target;
    t[1] = spawn_joiner(11, 0);
    t[2] = spawn_joiner(12, 0);
    t[3] = spawn_joiner(13, 0);
    *n = 4;
}

static void inspect_mark(int i, async_task *t) {
    (void)t;
    event(90 + i);
}

static void test_several_joiners(void **state) {
    struct join_all__frame f;
    static const int want[] = {1, 101, 90, 11, 12, 13, 91, 92, 93};

    (void)state;
    join_all__init(&f, spawn_target_and_joiners, 0, 0);
    f.inspect = inspect_mark;
    assert_int_equal(RUN(join_all, &f), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(f.results[i], 1);
    assert_events(want, 9);
}

/* A joiner polled on every pass while it waits: the spurious polls must
 * neither end the join early nor add its waiter to the list twice. */
static int restless_polls;

static void spawn_target_and_restless(async_task **t, int *n) {
    target = spawn_sleeper(1, 0.020);
    t[0] = spawn_joiner(11, 1);
    *n = 1;
}

static void inspect_polls(int i, async_task *t) {
    (void)i;
    restless_polls = ((struct joiner__frame *)async__task_frame(t))->polls;
}

static void test_spurious_join_polls(void **state) {
    struct join_all__frame f;
    static const int want[] = {1, 101, 11};

    (void)state;
    join_all__init(&f, spawn_target_and_restless, 0, 1);
    f.inspect = inspect_polls;
    assert_int_equal(RUN(join_all, &f), 0);
    assert_int_equal(f.results[0], 1);
    assert_true(restless_polls > 2);
    assert_events(want, 3);
}

static void spawn_some(async_task **t, int *n) {
    t[0] = spawn_sleeper(1, 0);
    t[1] = spawn_yielder(2, 0);
    /* Released at once: runs on, freed when it ends. */
    async_task_release(spawn_sleeper(3, 0));
    async_task_release(NULL);
    *n = 2;
}

/* Handles released before and after the task ended, and never released:
 * all freed exactly once (valgrind and ASan check this test). */
static void test_release(void **state) {
    struct join_all__frame f;

    (void)state;
    assert_false(async_task_done(NULL));
    for (int release = 0; release < 2; release++) {
        join_all__init(&f, spawn_some, 3, release);
        assert_int_equal(RUN(join_all, &f), 0);
        assert_int_equal(f.results[0], 1);
        assert_int_equal(f.results[1], 0);
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

static void result_unfinished(void) {
    async_task *t = spawn_v_i32(1); /* queued, never run */

    (void)async_task_result(t, int32_t);
}

static void inspect_wrong_size(int i, async_task *t) {
    (void)i;
    (void)async_task_result(t, int64_t);
}

static void spawn_one_int(async_task **t, int *n) {
    t[0] = spawn_v_i32(3);
    *n = 1;
}

static void result_wrong_size(void) {
    struct join_all__frame f;

    join_all__init(&f, spawn_one_int, 0, 0);
    f.inspect = inspect_wrong_size;
    (void)RUN(join_all, &f);
}

static void inspect_void(int i, async_task *t) {
    (void)i;
    (void)async_task_result(t, char);
}

static void spawn_one_void(async_task **t, int *n) {
    t[0] = spawn_v_void();
    *n = 1;
}

static void result_of_void(void) {
    struct join_all__frame f;

    join_all__init(&f, spawn_one_void, 0, 0);
    f.inspect = inspect_void;
    (void)RUN(join_all, &f);
}

static void spawn_null(async_task **t, int *n) {
    t[0] = NULL;
    *n = 1;
}

/* Joining NULL (what async_spawn returns when out of memory) fails with
 * ASYNC_EINVAL, which fails the run. */
static void test_join_null_fails(void **state) {
    struct join_all__frame f;

    (void)state;
    join_all__init(&f, spawn_null, 0, 0);
    errno = 0;
    assert_int_equal(RUN(join_all, &f), ASYNC_EINVAL);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(f._state, -1);
    assert_int_equal(f._a2._state, -1);
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
