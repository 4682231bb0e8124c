/*
 * test_timeout.c -- async_timeout blocks as the generated code runs them
 * (async__timeout_enter / _exit / _land) and async__join_cancel, the
 * join behind async_wait_for of a task handle.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define FRAMES_HAND_WRITTEN

#include "frames.h"
#include "internal.h"

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

/*
 * Hand-written, as are canceller and rearm below: the tests read the
 * async_timeout block's state (whether the failure landed, its timer)
 * in the frames, which code in the dialect cannot see.
 *
 * async int scoped(double limit, double s1, double s2, double spin) {
 *     int err = 99;
 *     async_timeout(limit, &err) {
 *         await(async_sleep(s1));
 *         spin `spin` seconds without suspending;
 *     }
 *     await(async_sleep(s2));      -- after the block
 *     return err;
 * }
 */
struct scoped__frame {
    int _state;
    double limit, s1, s2, spin;
    int err;
    int landed; /* the landing label was reached */
    async__timeout _to1;
    int *_to1_err;
    struct async_sleep__frame _a1;
    int _ret;
};

static void scoped__init(struct scoped__frame *f, double limit, double s1,
                         double s2, double spin) {
    f->_state = 0;
    f->limit = limit;
    f->s1 = s1;
    f->s2 = s2;
    f->spin = spin;
    f->landed = 0;
}

static int scoped__resume(void *frame) {
    struct scoped__frame *f = frame;
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
    f->err = 99;
    f->_to1_err = &f->err;
    *f->_to1_err = 0;
    async__timeout_enter(&f->_to1, f->limit);
    async_sleep__init(&f->_a1, f->s1);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY) {
        if (r == ASYNC__PENDING)
            return r;
        goto landing;
    }
    for (double start = async_time(); async_time() - start < f->spin;)
        ;
    async__timeout_exit(&f->_to1, 0);
    goto end;
landing:
    f->landed = 1;
    if (async__timeout_land(&f->_to1, f->_to1_err) != ASYNC__READY) {
        f->_state = -1;
        return ASYNC__FAILED;
    }
end:
    async_sleep__init(&f->_a1, f->s2);
    f->_state = 2;
await2:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY) {
        if (r == ASYNC__FAILED)
            f->_state = -1;
        return r;
    }
    f->_ret = f->err;
    f->_state = -1;
    return ASYNC__READY;
}

static void test_block_in_time(void **state) {
    struct scoped__frame f;

    (void)state;
    scoped__init(&f, 1.0, 0.002, 0.001, 0);
    assert_int_equal(RUN(scoped, &f), 0);
    assert_int_equal(f._ret, 0);
    assert_int_equal(f.landed, 0);
    assert_int_equal(f._to1.timer.index, ASYNC__TIMER_NONE);
}

static void test_deadline_interrupts(void **state) {
    struct scoped__frame f;
    double start = async_time(), took;

    (void)state;
    scoped__init(&f, 0.010, 5.0, 0.001, 0);
    assert_int_equal(RUN(scoped, &f), 0);
    took = async_time() - start;
    assert_int_equal(f._ret, ASYNC_ETIMEDOUT);
    assert_int_equal(f.landed, 1);
    assert_true(took >= 0.010);
    if (!(took < 1.0))
        fail_msg("took %.3f s: the deadline did not interrupt", took);
}

static void test_no_time_at_all(void **state) {
    struct scoped__frame f;

    (void)state;
    scoped__init(&f, 0, 5.0, 0.001, 0);
    assert_int_equal(RUN(scoped, &f), 0);
    assert_int_equal(f._ret, ASYNC_ETIMEDOUT);
    scoped__init(&f, NAN, 5.0, 0.001, 0);
    assert_int_equal(RUN(scoped, &f), 0);
    assert_int_equal(f._ret, ASYNC_ETIMEDOUT);
}

/* The deadline passes while the block spins; the block ends without
 * suspending again, and the request it made is withdrawn: the sleep
 * after the block is not cancelled. */
static void test_expired_without_suspending(void **state) {
    struct scoped__frame f;

    (void)state;
    scoped__init(&f, 0.001, 0, 0.002, 0.005);
    /* The first sleep (0 s) yields once, then the spin outlasts the
     * deadline, whose timer fires on the pass after. */
    assert_int_equal(RUN(scoped, &f), 0);
    assert_int_equal(f._ret, 0);
    assert_int_equal(f.landed, 0);
}

/*
 * async int canceller(void) {
 *     async_task *t = async_spawn(scoped(10.0, 5.0, 0.001, 0));
 *     await(async_sleep(0.01));
 *     async_cancel(t);
 *     async_try(await(t), &err);
 *     return err;
 * }
 */
struct canceller__frame {
    int _state;
    async_task *t;
    int landed, inner_err, task_error; /* read before t is released */
    union {
        struct async_sleep__frame s;
        struct async_join__frame j;
    } _a;
    int _ret;
};

static int canceller__resume(void *frame) {
    struct canceller__frame *f = frame;

    switch (f->_state) {
    case 0:
        f->t = test_task_new(sizeof(struct scoped__frame), scoped__resume,
                             "scoped", offsetof(struct scoped__frame, _ret),
                             sizeof(int), ASYNC__RESULT_SIGNED);
        assert_non_null(f->t);
        scoped__init(async__task_frame(f->t), 10.0, 5.0, 0.001, 0);
        async__task_start(f->t);
        async_sleep__init(&f->_a.s, 0.01);
        f->_state = 1;
        /* fall through */
    case 1:
        if (async_sleep__resume(&f->_a.s) != ASYNC__READY)
            return ASYNC__PENDING;
        async_cancel(f->t);
        async_join__init(&f->_a.j, f->t);
        f->_state = 2;
        /* fall through */
    case 2:
        if (async_join__resume(&f->_a.j) == ASYNC__PENDING)
            return ASYNC__PENDING;
        f->_ret = async__take_error();
        struct scoped__frame *inner = async__task_frame(f->t);
        f->landed = inner->landed;
        f->inner_err = inner->err;
        f->task_error = async_task_error(f->t);
        async_task_release(f->t);
        f->_state = -1;
        /* fall through */
    default:
        return ASYNC__READY;
    }
}

/* A cancellation from outside is not the block's: it goes through the
 * block, which does not catch it. */
static void test_outside_cancel_goes_through(void **state) {
    struct canceller__frame f = {0};

    (void)state;
    assert_int_equal(RUN(canceller, &f), 0);
    assert_int_equal(f._ret, ASYNC_ECANCELED);
    assert_int_equal(f.landed, 1);
    assert_int_equal(f.inner_err, 0); /* not a timeout */
    assert_int_equal(f.task_error, ASYNC_ECANCELED);
}

/* What waiter saw of its task once the wait was over. */
static int t_done, t_error;

static async int waiter(double secs, double limit) {
    async_task *t = async_spawn(sleeper(1, secs));
    int err;

    assert_non_null(t);
    int r = async_try(await(async_wait_for(t, limit)), &err);
    t_done = async_task_done(t);
    t_error = async_task_error(t);
    async_task_release(t);
    return err ? err : r;
}

static void test_wait_for_task(void **state) {
    struct async__join_cancel__frame c;
    static const int in_time[] = {1, 101};
    static const int late[] = {1};

    (void)state;
    /* sleeper(1, ...) returns its id */
    assert_int_equal(async_run(waiter(0.002, 1.0)), 1);
    assert_events(in_time, 2);

    /* Late: the task is cancelled, and has stopped when the await fails. */
    events_reset();
    t_done = 0;
    t_error = 0;
    assert_int_equal(async_run(waiter(5.0, 0.01)), ASYNC_ETIMEDOUT);
    assert_true(t_done);
    assert_int_equal(t_error, ASYNC_ECANCELED);
    assert_events(late, 1);

    /* A NULL handle fails (ASYNC_EINVAL in a task), not followed. */
    memset(&c, 0, sizeof c);
    async__join_cancel__init(&c, NULL);
    assert_int_equal(async__join_cancel__resume(&c), ASYNC__FAILED);
}

/*
 * Stopped timers leave stale entries in the timer heap, lazily (while
 * some timer stays armed: here an outer block's).  The same inner block
 * (the same async__timeout) ends at once three times, each time
 * stopping a 5 ms timer; then it runs again with 50 ms around a 20 ms
 * sleep.  The stale entries come due during the sleep and must not
 * cancel it: the blocks end in time.
 *
 *     async int rearm(void) {
 *         int err = 99, outer = 99;
 *         async_timeout(1.0, &outer) {
 *             for (int i = 0; i < 4; i++)
 *                 async_timeout(i < 3 ? 0.005 : 0.050, &err) {
 *                     if (i == 3)
 *                         await(async_sleep(0.020));
 *                 }
 *         }
 *         return err ? err : outer;
 *     }
 */
struct rearm__frame {
    int _state;
    int i;
    int err, outer;
    async__timeout _to0;
    int *_to0_err;
    async__timeout _to1;
    int *_to1_err;
    struct async_sleep__frame _a1;
    int _ret;
};

static int rearm__resume(void *frame) {
    struct rearm__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    f->err = 99;
    f->outer = 99;
    f->_to0_err = &f->outer;
    *f->_to0_err = 0;
    async__timeout_enter(&f->_to0, 1.0);
    for (f->i = 0; f->i < 4; f->i++) {
        f->_to1_err = &f->err;
        *f->_to1_err = 0;
        async__timeout_enter(&f->_to1, f->i < 3 ? 0.005 : 0.050);
        if (f->i == 3) {
            async_sleep__init(&f->_a1, 0.020);
            f->_state = 1;
        await1:
            if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY) {
                if (r == ASYNC__PENDING)
                    return r;
                if (async__timeout_land(&f->_to1, f->_to1_err) !=
                    ASYNC__READY) {
                    f->_state = -1;
                    return ASYNC__FAILED;
                }
                continue;
            }
        }
        async__timeout_exit(&f->_to1, 0);
    }
    async__timeout_exit(&f->_to0, 0);
    f->_ret = f->err ? f->err : f->outer;
    f->_state = -1;
    return ASYNC__READY;
}

static void test_stopped_timers_do_not_fire(void **state) {
    struct rearm__frame f = {0};
    double start = async_time();

    (void)state;
    assert_int_equal(RUN(rearm, &f), 0);
    assert_int_equal(f._ret, 0);
    assert_true(async_time() - start >= 0.020);
    assert_int_equal(f._to1.timer.index, ASYNC__TIMER_NONE);
    assert_int_equal(f._to0.timer.index, ASYNC__TIMER_NONE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_block_in_time, setup),
        cmocka_unit_test_setup(test_deadline_interrupts, setup),
        cmocka_unit_test_setup(test_no_time_at_all, setup),
        cmocka_unit_test_setup(test_expired_without_suspending, setup),
        cmocka_unit_test_setup(test_outside_cancel_goes_through, setup),
        cmocka_unit_test_setup(test_wait_for_task, setup),
        cmocka_unit_test_setup(test_stopped_timers_do_not_fire, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
