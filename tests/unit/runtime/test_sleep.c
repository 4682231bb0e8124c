/*
 * test_sleep.c -- async_sleep: timers fire in deadline order and run
 * concurrently, zero/negative/NaN sleeps yield once, huge sleeps do not
 * overflow, spurious polls do not end a sleep early, a sleep counts from
 * its own start even late in a long pass, passes with no timer armed
 * read no clock; and the sizes of the frames that hold timers.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"

/* Every clock reading in this program comes here: a definition in the
 * executable takes precedence over the C library's, for the runtime
 * linked into it too.  The system call stands in for the vDSO. */
static long clock_reads;

int clock_gettime(clockid_t id, struct timespec *ts) {
    clock_reads++;
    return (int)syscall(SYS_clock_gettime, id, ts);
}

/* What to spawn: a sleeper or a yielder, with its arguments. */
struct spec {
    int yielder; /* 1: yielder(id, n); 0: sleeper(id, seconds) */
    int id;
    int n;
    double seconds;
};

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

/* Spawns every task of `specs`, in order, then waits for each. */
static async int spawn_all(const struct spec *specs, int n) {
    async_task *t[8];

    for (int i = 0; i < n; i++) {
        const struct spec *s = &specs[i];

        if (s->yielder)
            t[i] = async_spawn(yielder(s->id, s->n));
        else
            t[i] = async_spawn(sleeper(s->id, s->seconds));
    }
    for (int i = 0; i < n; i++)
        await(t[i]);
    return 0;
}

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

/* Three sleeps of 60, 20 and 40 ms end in deadline order; all start
 * before any ends, and together they take about as long as the longest,
 * well under the 120 ms they would take one after the other. */
static void test_sleeps_run_concurrently(void **state) {
    static const struct spec specs[] = {
        {0, 1, 0, 0.060}, {0, 2, 0, 0.020}, {0, 3, 0, 0.040}};
    static const int want[] = {1, 2, 3, 102, 103, 101};
    double start = async_time(), elapsed;

    (void)state;
    assert_int_equal(async_run(spawn_all(specs, 3)), 0);
    elapsed = async_time() - start;
    assert_events(want, 6);
    assert_true(elapsed >= 0.060);
    if (!(elapsed < 0.100))
        fail_msg("took %.3f s: the sleeps did not overlap", elapsed);
}

static void test_sleep_never_ends_early(void **state) {
    double start;

    (void)state;
    for (int i = 0; i < 5; i++) {
        double seconds = 0.0005 * (i + 1);

        start = async_time();
        assert_int_equal(async_run(sleeper(1, seconds)), 1);
        assert_true(async_time() - start >= seconds);
    }
}

/* sleep(0), sleep(-1) and sleep(NaN) each take exactly one pass: the
 * sleeper's end comes right after the yielder's first turn. */
static void test_nonpositive_and_nan_yield_once(void **state) {
    const double values[] = {0.0, -1.0, -INFINITY, NAN};

    (void)state;
    for (int i = 0; i < 4; i++) {
        const struct spec specs[] = {{0, 1, 0, values[i]}, {1, 2, 3, 0}};
        static const int want[] = {1, 2, 101, 2, 2};

        events_reset();
        assert_int_equal(async_run(spawn_all(specs, 2)), 0);
        assert_events(want, 5);
    }
}

/* Sleeps too long for the clock's range are clamped, not overflowed
 * (UBSan checks the conversions).  They are spawned first; the root
 * waits only for a 1 ms sleep, then they are dropped. */
static const double huge[] = {1e300, INFINITY, DBL_MAX, 9.2e9, 9.3e9, 1.8e10};

static async int huge_sleeps(void) {
    static const struct spec shortest[] = {{0, 7, 0, 0.001}};

    for (int i = 0; i < 6; i++)
        assert_non_null(async_spawn(sleeper(i + 1, huge[i])));
    return await(spawn_all(shortest, 1));
}

static void test_huge_sleeps(void **state) {
    static const int want[] = {1, 2, 3, 4, 5, 6, 7, 107};
    double start = async_time();

    (void)state;
    assert_int_equal(async_run(huge_sleeps()), 0);
    assert_true(async_time() - start < 1.0);
    assert_events(want, 8);
}

/*
 * A root that polls its sleep on every pass (it wakes itself each time),
 * as happens when a task is woken by something other than its timer.
 * Hand-written: it polls the sleep's frame again while it is pending and
 * once it has completed, which no await does, and reads its state.
 */
struct restless__frame {
    int _state;
    int polls;
    double start;
    double elapsed;
    int again;
    struct async_sleep__frame _a1;
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
    async_sleep__init(&f->_a1, 0.020);
    f->_state = 1;
await1:
    f->polls++;
    if (async_sleep__resume(&f->_a1) == ASYNC__PENDING) {
        async__wake(async__current());
        return ASYNC__PENDING;
    }
    f->elapsed = async_time() - f->start;
    /* A completed frame stays completed. */
    f->again = async_sleep__resume(&f->_a1);
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

static void test_spurious_polls(void **state) {
    struct restless__frame f = {0};

    (void)state;
    /* A sleep counts from the start of the loop pass, so measure from
     * before the run. */
    f.start = async_time();
    assert_int_equal(RUN(restless, &f), 0);
    assert_true(f.polls > 2);
    assert_true(f.elapsed >= 0.020);
    assert_int_equal(f.again, ASYNC__READY);
    assert_int_equal(f._a1._state, -1);
}

/*
 * Timers with the same deadline wake their tasks in the order they were
 * started.  Each `at` task arms a timer for one shared deadline through
 * the internal timer interface, like async_sleep does.  Hand-written:
 * an awaitable of its own, which is what async_sleep's frame is.
 */
static uint64_t shared_deadline;

struct at__frame {
    int _state;
    int id;
    async__timer timer;
    int _ret;
};

static int at__resume(void *frame) {
    struct at__frame *f = frame;

    switch (f->_state) {
    case 0:
        f->_state = 1;
        f->timer.index = ASYNC__TIMER_NONE;
        if (async__timer_start(&f->timer, shared_deadline) != 0)
            return ASYNC__READY;
        return ASYNC__PENDING;
    case 1:
        if (f->timer.index != ASYNC__TIMER_NONE)
            return ASYNC__PENDING;
        event(f->id);
        f->_ret = f->id;
        f->_state = -1;
        return ASYNC__READY;
    default:
        return ASYNC__READY;
    }
}

/* Spawned (and so started) in the order 5, 4, 3, 2, 1. */
static void spawn_ats(void) {
    for (int id = 5; id >= 1; id--) {
        async_task *t = test_task_new(sizeof(struct at__frame), at__resume,
                                      "at", 0, 0, ASYNC__RESULT_NONE);
        struct at__frame *af = async__task_frame(t);

        af->_state = 0;
        af->id = id;
        async__task_start(t);
        async_task_release(t);
    }
}

static async int at_all(void) {
    shared_deadline = async__clock_ns() + 5000000u;
    spawn_ats();
    await(async_sleep(0.050));
    return 0;
}

static void test_equal_deadlines_fire_in_start_order(void **state) {
    static const int want[] = {5, 4, 3, 2, 1};

    (void)state;
    assert_int_equal(async_run(at_all()), 0);
    assert_events(want, 5);
}

/* Stopping an armed timer removes it: the task is not woken, and the
 * loop, left with no timer, reports the deadlock.  Hand-written: the
 * root returns ASYNC__PENDING with nothing left to wake it. */
static int stop_timer__resume(void *frame) {
    struct at__frame *f = frame;

    f->timer.index = ASYNC__TIMER_NONE;
    f->_state = 1;
    if (async__timer_start(&f->timer, async__clock_ns() + 1000000u) == 0)
        event(1);
    async__timer_stop(&f->timer);
    async__timer_stop(&f->timer); /* a no-op the second time */
    if (f->timer.index == ASYNC__TIMER_NONE)
        event(2);
    return ASYNC__PENDING;
}

static void test_stopped_timer_does_not_fire(void **state) {
    struct at__frame f = {0};
    static const int want[] = {1, 2};

    (void)state;
    assert_int_equal(async__run(stop_timer__resume, &f, "stop_timer"),
                     -EDEADLK);
    assert_events(want, 2);
}

/*
 * A sleep started late in a long pass lasts its full length from its
 * own start, not from the reading the pass began with.  Another timer,
 * armed far away, makes every pass read the clock when it begins.
 *
 *     async int late(void) {
 *         arm `far` 10 s ahead;  await(async_sleep(0));
 *         spin 30 ms;            -- the pass's reading grows old
 *         await(async_sleep(0.020));
 *     }
 *
 * Hand-written: it arms a raw timer and wakes itself, and the test reads
 * the deadline its sleep's frame kept.
 */
struct late__frame {
    int _state;
    async__timer far;
    uint64_t start; /* the clock just before the sleep started */
    uint64_t woke;  /* the loop's reading when it ended */
    struct async_sleep__frame _a1;
    int _ret;
};

static int late__resume(void *frame) {
    struct late__frame *f = frame;

    switch (f->_state) {
    case 0:
        assert_int_equal(
            async__timer_start(&f->far, async__clock_ns() + 10000000000u), 0);
        async__wake(async__current());
        f->_state = 1;
        return ASYNC__PENDING;
    case 1:
        break;
    case 2:
        goto await2;
    default:
        return ASYNC__READY;
    }
    for (uint64_t t0 = async__clock_ns(); async__clock_ns() - t0 < 30000000;)
        ;
    f->start = async__clock_ns();
    async_sleep__init(&f->_a1, 0.020);
    f->_state = 2;
await2:
    if (async_sleep__resume(&f->_a1) == ASYNC__PENDING)
        return ASYNC__PENDING;
    f->woke = async__loop_now();
    async__timer_stop(&f->far);
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

static void test_sleep_counts_from_its_start(void **state) {
    struct late__frame f = {0};

    (void)state;
    f.far.index = ASYNC__TIMER_NONE;
    assert_int_equal(RUN(late, &f), 0);
    assert_true(f._a1.timer.deadline_ns >= f.start + 20000000u);
    assert_true(f.woke >= f._a1.timer.deadline_ns);
    assert_true(f.woke - f.start >= 20000000u);
}

/* Passes with no timer armed read no clock: yielder yields 500 times, and the
 * run may read the clock a few times at most, where one reading per pass would
 * be 500. */
static void test_no_clock_without_timers(void **state) {
    long before;

    (void)state;
    before = clock_reads;
    assert_int_equal(async_run(yielder(1, 500)), 500);
    assert_int_equal(n_events, 500);
    if (clock_reads - before > 5)
        fail_msg("%ld clock readings for 500 passes without timers",
                 clock_reads - before);
}

/* The frames that embed timers, on LP64: the timer takes 16 bytes (the
 * heap keeps its own copy of the key, and the task shares the
 * deadline's field while armed), and so does a sleep (its length shares
 * the deadline's field too, its state the timer's owner int); an
 * async_timeout block 24, and async_wait_for carries nothing beside its
 * gather and timer. */
static void test_frame_sizes(void **state) {
    (void)state;
    if (sizeof(void *) != 8)
        skip();
    assert_int_equal(sizeof(async__timer), 16);
    assert_int_equal(sizeof(struct async_sleep__frame), 16);
    assert_int_equal(sizeof(async__timeout), 24);
    assert_int_equal(sizeof(async__wait_for),
                     sizeof(async__gather) + sizeof(async__timer));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sleeps_run_concurrently, setup),
        cmocka_unit_test_setup(test_sleep_never_ends_early, setup),
        cmocka_unit_test_setup(test_nonpositive_and_nan_yield_once, setup),
        cmocka_unit_test_setup(test_huge_sleeps, setup),
        cmocka_unit_test_setup(test_spurious_polls, setup),
        cmocka_unit_test_setup(test_equal_deadlines_fire_in_start_order, setup),
        cmocka_unit_test_setup(test_stopped_timer_does_not_fire, setup),
        cmocka_unit_test_setup(test_sleep_counts_from_its_start, setup),
        cmocka_unit_test_setup(test_no_clock_without_timers, setup),
        cmocka_unit_test(test_frame_sizes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
