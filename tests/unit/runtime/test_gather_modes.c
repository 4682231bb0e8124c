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
#include <string.h>

#include <cmocka.h>

#include "frames.h"

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

/* What each gathered child (by id, 1 to 3) saw and left: its task (the
 * gather's child task, embedded in the gathering frame), and, read by
 * the gathering function once the gather is over, whether that task had
 * finished and its error; the results the gather stored. */
static async_task *self[4];
static int done[4], errs[4], rets[4], remaining;

static async int failer(int id, double seconds, int code) {
    self[id] = async__current();
    event(id);
    await(async_sleep(seconds));
    event(SLEEPER_END + id);
    if (code != 0)
        async_raise(code);
    return id;
}

/* The children's sleeps and codes, by argument. */
static double secs[3];
static int codes[3];

/* Once the gather is over: the state of every child task, and of the
 * gather they belong to (a child task is the first member of its
 * async__child, which points at its gather). */
static void record_children(void) {
    for (int i = 1; i <= 3; i++) {
        done[i] = async_task_done(self[i]);
        errs[i] = async_task_error(self[i]);
    }
    remaining = (int)((async__child *)self[1])->group->remaining;
}

/* The gather's failure is caught only to record the children, then
 * raised again: the run fails with it. */
static async int gather_default(void) {
    int err;

    async_try(await(async_gather(rets[1] = failer(1, secs[0], codes[0]),
                                 rets[2] = failer(2, secs[1], codes[1]),
                                 rets[3] = failer(3, secs[2], codes[2]))),
              &err);
    record_children();
    if (err != 0)
        async_raise(err);
    return 0;
}

static async int gather_failfast(void) {
    int err;

    async_try(
        await(async_gather_failfast(rets[1] = failer(1, secs[0], codes[0]),
                                    rets[2] = failer(2, secs[1], codes[1]),
                                    rets[3] = failer(3, secs[2], codes[2]))),
        &err);
    record_children();
    if (err != 0)
        async_raise(err);
    return 0;
}

/* Failfast with the second child caught. */
static async int gather_failfast_catch2(void) {
    int err, err2;

    async_try(await(async_gather_failfast(
                  rets[1] = failer(1, secs[0], codes[0]),
                  async_try(rets[2] = failer(2, secs[1], codes[1]), &err2),
                  rets[3] = failer(3, secs[2], codes[2]))),
              &err);
    record_children();
    assert_int_equal(err2, errs[2]);
    if (err != 0)
        async_raise(err);
    return 0;
}

/* Failfast with the first child caught. */
static async int gather_failfast_catch1(void) {
    int err, err1;

    async_try(await(async_gather_failfast(
                  async_try(rets[1] = failer(1, secs[0], codes[0]), &err1),
                  rets[2] = failer(2, secs[1], codes[1]),
                  rets[3] = failer(3, secs[2], codes[2]))),
              &err);
    record_children();
    assert_int_equal(err1, errs[1]);
    if (err != 0)
        async_raise(err);
    return 0;
}

enum mode { DEFAULT, FAILFAST, FAILFAST_CATCH2, FAILFAST_CATCH1 };

/* Runs the gather of `mode`; the run's result is `want` (0, or the code
 * the gather failed with).  Every child has finished by the end. */
static void run_gather(enum mode mode, const double seconds[3], const int c[3],
                       int want, double *elapsed) {
    double start = async_time();
    int r = 0;

    for (int i = 0; i < 3; i++) {
        secs[i] = seconds[i];
        codes[i] = c[i];
    }
    memset(self, 0, sizeof self);
    memset(rets, 0, sizeof rets);
    errno = 0;
    switch (mode) {
    case DEFAULT:
        r = async_run(gather_default());
        break;
    case FAILFAST:
        r = async_run(gather_failfast());
        break;
    case FAILFAST_CATCH2:
        r = async_run(gather_failfast_catch2());
        break;
    case FAILFAST_CATCH1:
        r = async_run(gather_failfast_catch1());
        break;
    }
    *elapsed = async_time() - start;
    if (want == 0) {
        assert_int_equal(r, 0);
    } else {
        assert_int_equal(r, -1);
        assert_int_equal(-errno, want);
    }
    for (int i = 1; i <= 3; i++)
        assert_true(done[i]);
    assert_int_equal(remaining, 0);
}

/* Default: the siblings finish; the earliest failure wins, not the
 * first argument's. */
static void test_default_waits_for_all(void **state) {
    static const double s[3] = {0.150, 0.050, 0.100};
    static const int c[3] = {ASYNC_ETIMEDOUT, 0, ASYNC_EINVAL};
    static const int want[] = {1, 2, 3, 102, 103, 101};
    double elapsed;

    (void)state;
    run_gather(DEFAULT, s, c, ASYNC_EINVAL, &elapsed);
    assert_events(want, 6);
    assert_int_equal(errs[1], ASYNC_ETIMEDOUT);
    assert_int_equal(errs[2], 0);
    assert_int_equal(rets[2], 2);
    assert_int_equal(errs[3], ASYNC_EINVAL);
}

/* Failfast: the first failure cancels the two children still asleep. */
static void test_failfast_cancels_siblings(void **state) {
    static const double s[3] = {1.0, 0.005, 1.0};
    static const int c[3] = {0, ASYNC_EINVAL, 0};
    static const int want[] = {1, 2, 3, 102};
    double elapsed;

    (void)state;
    run_gather(FAILFAST, s, c, ASYNC_EINVAL, &elapsed);
    assert_events(want, 4);
    assert_int_equal(errs[1], ASYNC_ECANCELED);
    assert_int_equal(errs[2], ASYNC_EINVAL);
    assert_int_equal(errs[3], ASYNC_ECANCELED);
    if (!(elapsed < 0.5))
        fail_msg("took %.3f s: the siblings were not cancelled", elapsed);
}

/* A caught failure neither fails the gather nor triggers failfast; the
 * caught child's code stays readable. */
static void test_caught_failure(void **state) {
    static const double s[3] = {0.020, 0.005, 0.010};
    static const int c[3] = {0, ASYNC_EINVAL, 0};
    static const int want[] = {1, 2, 3, 102, 103, 101};
    double elapsed;

    (void)state;
    run_gather(FAILFAST_CATCH2, s, c, 0, &elapsed);
    assert_events(want, 6);
    assert_int_equal(errs[2], ASYNC_EINVAL);
    assert_int_equal(errs[1], 0);
    assert_int_equal(rets[1], 1);
}

/* Failfast with a caught sibling: the uncaught failure still cancels the
 * caught child, which sees ASYNC_ECANCELED. */
static void test_failfast_cancels_caught_sibling(void **state) {
    static const double s[3] = {1.0, 0.005, 1.0};
    static const int c[3] = {0, ASYNC_ETIMEDOUT, 0};
    double elapsed;

    (void)state;
    run_gather(FAILFAST_CATCH1, s, c, ASYNC_ETIMEDOUT, &elapsed);
    assert_int_equal(errs[1], ASYNC_ECANCELED);
    assert_int_equal(errs[3], ASYNC_ECANCELED);
}

/* Two failures: the second, and the cancellations it would cause, do
 * not replace the first. */
static void test_failfast_first_failure_wins(void **state) {
    static const double s[3] = {0.004, 0.004, 1.0};
    static const int c[3] = {ASYNC_EINVAL, ASYNC_ETIMEDOUT, 0};
    double elapsed;

    (void)state;
    run_gather(FAILFAST, s, c, ASYNC_EINVAL, &elapsed);
    /* Both timers fire in one pass; the cancellation reaches the second
     * child before it runs again, so its sleep fails with
     * ASYNC_ECANCELED and its own failure never happens. */
    assert_int_equal(errs[1], ASYNC_EINVAL);
    assert_int_equal(errs[2], ASYNC_ECANCELED);
    assert_int_equal(errs[3], ASYNC_ECANCELED);
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
