/*
 * test_gather_modes.c -- how a gather treats failing children: by
 * default the others run on and the first failure (in time) fails the
 * gather; a caught child (async_try around it) never fails the gather;
 * with failfast the first uncaught failure cancels the other children.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frames.h"

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

/*
 * async int gather_f(...) {
 *     await(async_gather[_failfast](failer(1, s0, c0), failer(2, s1, c1),
 *                                   failer(3, s2, c2)));
 *     return 0;
 * }
 * with the children whose bit is set in `caught` inside async_try.
 */
struct gather_f__frame {
    int _state;
    double seconds[3];
    int codes[3];
    int failfast;
    unsigned caught;
    async__gather _g;
    async__child _t[3];
    struct failer__frame _c[3];
    int _ret;
};

static int gather_f__resume(void *frame) {
    struct gather_f__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    async__gather_init(&f->_g);
    if (f->failfast)
        async__gather_failfast(&f->_g);
    for (int i = 0; i < 3; i++) {
        failer__init(&f->_c[i], i + 1, f->seconds[i], f->codes[i]);
        async__gather_add(&f->_g, &f->_t[i], failer__resume, &f->_c[i],
                          "failer");
        if (f->caught & (1u << i))
            async__gather_catch(&f->_t[i]);
    }
    f->_state = 1;
await1:
    if ((r = async__gather_poll(&f->_g)) != ASYNC__READY) {
        if (r == ASYNC__FAILED)
            f->_state = -1;
        return r;
    }
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

static void run_gather(struct gather_f__frame *f, int failfast, unsigned caught,
                       const double seconds[3], const int codes[3], int want,
                       double *elapsed) {
    double start = async_time();

    f->_state = 0;
    f->failfast = failfast;
    f->caught = caught;
    for (int i = 0; i < 3; i++) {
        f->seconds[i] = seconds[i];
        f->codes[i] = codes[i];
    }
    assert_int_equal(RUN(gather_f, f), want);
    *elapsed = async_time() - start;
    for (int i = 0; i < 3; i++)
        assert_true(async_task_done(&f->_t[i].task));
    assert_int_equal(f->_g.remaining, 0);
}

/* Default: the siblings finish; the earliest failure wins, not the
 * first argument's. */
static void test_default_waits_for_all(void **state) {
    static const double s[3] = {0.150, 0.050, 0.100};
    static const int c[3] = {ASYNC_ETIMEDOUT, 0, ASYNC_EINVAL};
    static const int want[] = {1, 2, 3, 102, 103, 101};
    struct gather_f__frame f;
    double elapsed;

    (void)state;
    run_gather(&f, 0, 0, s, c, ASYNC_EINVAL, &elapsed);
    assert_events(want, 6);
    assert_int_equal(async_task_error(&f._t[0].task), ASYNC_ETIMEDOUT);
    assert_int_equal(async_task_error(&f._t[1].task), 0);
    assert_int_equal(f._c[1]._ret, 2);
    assert_int_equal(async_task_error(&f._t[2].task), ASYNC_EINVAL);
}

/* Failfast: the first failure cancels the two children still asleep. */
static void test_failfast_cancels_siblings(void **state) {
    static const double s[3] = {1.0, 0.005, 1.0};
    static const int c[3] = {0, ASYNC_EINVAL, 0};
    static const int want[] = {1, 2, 3, 102};
    struct gather_f__frame f;
    double elapsed;

    (void)state;
    run_gather(&f, 1, 0, s, c, ASYNC_EINVAL, &elapsed);
    assert_events(want, 4);
    assert_int_equal(async_task_error(&f._t[0].task), ASYNC_ECANCELED);
    assert_int_equal(async_task_error(&f._t[1].task), ASYNC_EINVAL);
    assert_int_equal(async_task_error(&f._t[2].task), ASYNC_ECANCELED);
    if (!(elapsed < 0.5))
        fail_msg("took %.3f s: the siblings were not cancelled", elapsed);
}

/* A caught failure neither fails the gather nor triggers failfast; the
 * caught child's code stays readable. */
static void test_caught_failure(void **state) {
    static const double s[3] = {0.020, 0.005, 0.010};
    static const int c[3] = {0, ASYNC_EINVAL, 0};
    static const int want[] = {1, 2, 3, 102, 103, 101};
    struct gather_f__frame f;
    double elapsed;

    (void)state;
    run_gather(&f, 1, 1u << 1, s, c, 0, &elapsed);
    assert_events(want, 6);
    assert_int_equal(async_task_error(&f._t[1].task), ASYNC_EINVAL);
    assert_int_equal(async_task_error(&f._t[0].task), 0);
    assert_int_equal(f._c[0]._ret, 1);
}

/* Failfast with a caught sibling: the uncaught failure still cancels the
 * caught child, which sees ASYNC_ECANCELED. */
static void test_failfast_cancels_caught_sibling(void **state) {
    static const double s[3] = {1.0, 0.005, 1.0};
    static const int c[3] = {0, ASYNC_ETIMEDOUT, 0};
    struct gather_f__frame f;
    double elapsed;

    (void)state;
    run_gather(&f, 1, 1u << 0, s, c, ASYNC_ETIMEDOUT, &elapsed);
    assert_int_equal(async_task_error(&f._t[0].task), ASYNC_ECANCELED);
    assert_int_equal(async_task_error(&f._t[2].task), ASYNC_ECANCELED);
}

/* Two failures: the second, and the cancellations it would cause, do
 * not replace the first. */
static void test_failfast_first_failure_wins(void **state) {
    static const double s[3] = {0.004, 0.004, 1.0};
    static const int c[3] = {ASYNC_EINVAL, ASYNC_ETIMEDOUT, 0};
    struct gather_f__frame f;
    double elapsed;

    (void)state;
    run_gather(&f, 1, 0, s, c, ASYNC_EINVAL, &elapsed);
    /* Both timers fire in one pass; the cancellation reaches the second
     * child before it runs again, so its sleep fails with
     * ASYNC_ECANCELED and its own failure never happens. */
    assert_int_equal(async_task_error(&f._t[0].task), ASYNC_EINVAL);
    assert_int_equal(async_task_error(&f._t[1].task), ASYNC_ECANCELED);
    assert_int_equal(async_task_error(&f._t[2].task), ASYNC_ECANCELED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_default_waits_for_all, setup),
        cmocka_unit_test_setup(test_failfast_cancels_siblings, setup),
        cmocka_unit_test_setup(test_caught_failure, setup),
        cmocka_unit_test_setup(test_failfast_cancels_caught_sibling, setup),
        cmocka_unit_test_setup(test_failfast_first_failure_wins, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
