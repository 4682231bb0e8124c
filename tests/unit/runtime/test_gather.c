/*
 * test_gather.c -- async_gather: children start on the next pass in
 * argument order and run concurrently; the gathering task is woken once,
 * by the last child to finish.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define FRAMES_HAND_WRITTEN

#include "frames.h"

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

/*
 * async int gather3(double a, double b, double c) {
 *     await(async_gather(sleeper(1, a), sleeper(2, b), sleeper(3, c)));
 *     return 0;
 * }
 * Hand-written, as are gather_y and gather_stuck below: the tests count
 * the gathering frame's resumes and read its gather's state between
 * them or after the run, which code in the dialect cannot see.  The
 * frame records, on each resume, how many children remain; the last
 * count of resumes is also kept in gather3_polls.  sleeper and yielder
 * are frames.h's.
 */
static int gather3_polls;

struct gather3__frame {
    int _state;
    double seconds[3];
    int polls;
    unsigned remaining[8];
    async__gather _g;
    async__child _t[3];
    struct sleeper__frame _c[3];
    int _ret;
};

/* For outer, in the dialect: declared after the frame type, so asyncc
 * embeds the frame, as for the runtime's own async functions. */
#ifdef __ASYNCC__
async int gather3(double a, double b, double c);
#endif

static void gather3__init(struct gather3__frame *f, double a, double b,
                          double c) {
    f->_state = 0;
    f->seconds[0] = a;
    f->seconds[1] = b;
    f->seconds[2] = c;
    f->polls = 0;
}

static int gather3__resume(void *frame) {
    struct gather3__frame *f = frame;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    async__gather_init(&f->_g);
    for (int i = 0; i < 3; i++) {
        sleeper__init(&f->_c[i], i + 1, f->seconds[i]);
        async__gather_add(&f->_g, &f->_t[i], sleeper__resume, &f->_c[i],
                          "sleeper");
    }
    f->_state = 1;
await1:
    if (f->polls < 8)
        f->remaining[f->polls] = f->_g.remaining;
    gather3_polls = ++f->polls;
    if (async__gather_poll(&f->_g) == ASYNC__PENDING)
        return ASYNC__PENDING;
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

static void test_gather_sleepers(void **state) {
    struct gather3__frame f;
    static const int want[] = {1, 2, 3, 102, 103, 101};
    double start = async_time(), elapsed;

    (void)state;
    /* 100 ms apart: the order holds on a loaded machine and under
     * valgrind. */
    gather3__init(&f, 0.300, 0.100, 0.200);
    assert_int_equal(RUN(gather3, &f), 0);
    elapsed = async_time() - start;
    assert_events(want, 6);
    /* Woken once, when the count reached 0. */
    assert_int_equal(f.polls, 2);
    assert_int_equal(f.remaining[0], 3);
    assert_int_equal(f.remaining[1], 0);
    assert_null(f._g.waiter);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f._c[i]._state, -1);
        assert_int_equal(f._c[i]._ret, i + 1);
        assert_true(async_task_done(&f._t[i].task));
    }
    /* Concurrent: far less than the 600 ms of the sleeps in a row. */
    assert_true(elapsed >= 0.300);
    if (!(elapsed < 0.500))
        fail_msg("took %.3f s: the sleeps did not overlap", elapsed);
}

/*
 * async int gather_y(int n, int rounds, int repeat) {
 *     for (int r = 0; r < repeat; r++)
 *         await(async_gather(yielder(1, rounds), ..., yielder(n, rounds)));
 *     return 0;
 * }
 * (n children, at most 4; asyncc unrolls the argument list.)
 */
struct gather_y__frame {
    int _state;
    int n;
    int rounds;
    int repeat;
    int r;
    int polls;
    async__gather _g;
    async__child _t[4];
    struct yielder__frame _c[4];
    int _ret;
};

static void gather_y__init(struct gather_y__frame *f, int n, int rounds,
                           int repeat) {
    f->_state = 0;
    f->n = n;
    f->rounds = rounds;
    f->repeat = repeat;
    f->polls = 0;
}

static int gather_y__resume(void *frame) {
    struct gather_y__frame *f = frame;

    f->polls++;
    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    for (f->r = 0; f->r < f->repeat; f->r++) {
        async__gather_init(&f->_g);
        for (int i = 0; i < f->n; i++) {
            yielder__init(&f->_c[i], i + 1, f->rounds);
            async__gather_add(&f->_g, &f->_t[i], yielder__resume, &f->_c[i],
                              "yielder");
        }
        f->_state = 1;
    await1:
        if (async__gather_poll(&f->_g) == ASYNC__PENDING)
            return ASYNC__PENDING;
    }
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

/* Children begin in argument order and take turns; reusing the embedded
 * tasks for a second gather works. */
static void test_children_start_in_argument_order(void **state) {
    struct gather_y__frame f;
    static const int want[] = {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4};

    (void)state;
    gather_y__init(&f, 4, 2, 2);
    assert_int_equal(RUN(gather_y, &f), 0);
    assert_events(want, 16);
    /* Once to start, then once per gather when its last child ends. */
    assert_int_equal(f.polls, 3);
}

/* Children that finish on their first poll still wake the gatherer. */
static void test_children_finishing_at_once(void **state) {
    struct gather_y__frame f;

    (void)state;
    gather_y__init(&f, 3, 0, 1);
    assert_int_equal(RUN(gather_y, &f), 0);
    assert_int_equal(f.polls, 2);
    assert_int_equal(f._g.remaining, 0);
    assert_int_equal(n_events, 0);
}

static void test_empty_gather_is_ready(void **state) {
    struct gather_y__frame f;

    (void)state;
    gather_y__init(&f, 0, 1, 3);
    assert_int_equal(RUN(gather_y, &f), 0);
    assert_int_equal(f.polls, 1);
}

/* A gather in a gather: gather3 is a child of outer's gather. */
static async int outer(void) {
    await(async_gather(gather3(0.060, 0.020, 0.040), sleeper(4, 0.030)));
    return 0;
}

static void test_nested_gather(void **state) {
    static const int want[] = {4, 1, 2, 3, 102, 104, 103, 101};

    (void)state;
    gather3_polls = 0;
    assert_int_equal(async_run(outer()), 0);
    assert_events(want, 8);
    assert_int_equal(gather3_polls, 2);
}

/*
 * async int gather_stuck(void) {
 *     await(async_gather(sleeper(1, 0.001), stuck()));
 *     return 0;
 * }
 */
struct gather_stuck__frame {
    int _state;
    async__gather _g;
    async__child _t[2];
    struct sleeper__frame _c0;
    struct stuck__frame _c1;
    int _ret;
};

static int gather_stuck__resume(void *frame) {
    struct gather_stuck__frame *f = frame;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    async__gather_init(&f->_g);
    sleeper__init(&f->_c0, 1, 0.001);
    async__gather_add(&f->_g, &f->_t[0], sleeper__resume, &f->_c0, "sleeper");
    stuck__init(&f->_c1);
    async__gather_add(&f->_g, &f->_t[1], stuck__resume, &f->_c1, "stuck");
    f->_state = 1;
await1:
    if (async__gather_poll(&f->_g) == ASYNC__PENDING)
        return ASYNC__PENDING;
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

/* The deadlock is found only after the sleeping child is done: until
 * then a timer could still make progress. */
static void test_gather_deadlock(void **state) {
    struct gather_stuck__frame f = {0};
    static const int want[] = {1, 101};

    (void)state;
    errno = 0;
    assert_int_equal(RUN(gather_stuck, &f), -EDEADLK);
    assert_int_equal(errno, EDEADLK);
    assert_events(want, 2);
    assert_int_equal(f._g.remaining, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_gather_sleepers, setup),
        cmocka_unit_test_setup(test_children_start_in_argument_order, setup),
        cmocka_unit_test_setup(test_children_finishing_at_once, setup),
        cmocka_unit_test_setup(test_empty_gather_is_ready, setup),
        cmocka_unit_test_setup(test_nested_gather, setup),
        cmocka_unit_test_setup(test_gather_deadlock, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
