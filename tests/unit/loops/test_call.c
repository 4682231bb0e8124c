/*
 * test_call.c -- async_loop_call: fn runs as a task of the target loop
 * and its result or failure comes back; a target whose run has ended
 * refuses with -ESHUTDOWN and fn never runs; a caller cancelled (a
 * timeout of async_wait_for, async_cancel) cancels fn's task and its
 * await ends only once fn's cleanup has run; a target ending its run
 * cancels fn; a call to the caller's own loop; bad arguments.
 *
 * Loop 0 makes the calls; loop 1 serves them until loop 0 posts it the
 * end (serve).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loops_test.h"

enum { CALLS = 100, CONCURRENT = 20 };

static async_event stop[2]; /* loop i ends its serve */
static int fn_runs;         /* fn bodies started */
static int fn_cleaned;      /* long_fn's defer ran */
static int fn_failing;      /* what async_failing() said there */
static int ran_on[2];       /* fn bodies that ran on loop i */
static int out[8], errs[8]; /* what loop 0 saw, per step */

static int setup(void **state) {
    (void)state;
    async_event_init(&stop[0]);
    async_event_init(&stop[1]);
    store(&fn_runs, 0);
    store(&fn_cleaned, 0);
    store(&fn_failing, 0);
    store(&ran_on[0], 0);
    store(&ran_on[1], 0);
    for (int i = 0; i < 8; i++)
        out[i] = errs[i] = -99;
    return 0;
}

/* Loop 1's main while loop 0 calls it. */
static async int serve(void) {
    await(async_event_wait(&stop[1]));
    return 0;
}

/* Loop 0's end: lets loop 1 end too. */
static int end_serving(void) {
    return async_loop_post(async_loop_at(1), set_event, &stop[1]);
}

/* What the calls run. */
static async int twice(void *arg) {
    int idx = async_loop_index();

    add(&fn_runs, 1);
    if (idx == 0 || idx == 1)
        add(&ran_on[idx], 1);
    await(async_sleep(0));
    return 2 * (int)(intptr_t)arg;
}

static async int failing(void *arg) {
    add(&fn_runs, 1);
    await(async_sleep(0));
    async_raise((int)(intptr_t)arg);
    return 0;
}

static async int negative(void *arg) {
    (void)arg;
    add(&fn_runs, 1);
    return -5;
}

/* Waits 30 s unless cancelled; its cleanup says how it ended. */
static async int long_fn(void *arg) {
    (void)arg;
    add(&fn_runs, 1);
    async_defer {
        store(&fn_failing, async_failing());
        store(&fn_cleaned, 1);
    }
    await(async_sleep(30));
    return 0;
}

static async int call(async_loop *loop, async_loop_fn *fn, intptr_t arg) {
    return await(async_loop_call(loop, fn, (void *)arg));
}

static async int results_back(int loop, void *arg) {
    async_task *t[CONCURRENT];
    int sum = 0, r;
    (void)arg;

    if (loop == 1)
        return await(serve());
    for (int i = 0; i < CALLS; i++) {
        r = await(
            async_loop_call(async_loop_at(1), twice, (void *)(intptr_t)i));
        sum += r == 2 * i;
    }
    out[0] = sum;
    for (int i = 0; i < CONCURRENT; i++)
        t[i] = async_spawn(call(async_loop_at(1), twice, 1000 + i));
    sum = 0;
    for (int i = 0; i < CONCURRENT; i++) {
        r = await(t[i]);
        sum += r == 2 * (1000 + i);
    }
    out[1] = sum;
    async_try(await(async_loop_call(async_loop_at(1), failing,
                                    (void *)(intptr_t)-EIO)),
              &errs[2]);
    async_try(await(async_loop_call(async_loop_at(1), failing,
                                    (void *)(intptr_t)ASYNC_ETIMEDOUT)),
              &errs[3]);
    out[4] = async_try(await(async_loop_call(async_loop_at(1), negative, NULL)),
                       &errs[4]);
    return end_serving();
}

static void test_results_and_failures(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run_loops(2, results_back, NULL, results), 0);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], 0);
    assert_int_equal(out[0], CALLS);
    assert_int_equal(out[1], CONCURRENT);
    assert_int_equal(errs[2], -EIO);
    assert_int_equal(errs[3], ASYNC_ETIMEDOUT);
    assert_int_equal(errs[4], 0);
    assert_int_equal(out[4], -5);
    assert_int_equal(load(&ran_on[1]), CALLS + CONCURRENT);
    assert_int_equal(load(&ran_on[0]), 0);
}

/* Each loop calls the other CALLS times, at the same time; the first
 * to finish waits for the other. */
static int finished;

static async int both_ways(int loop, void *arg) {
    int sum = 0;
    (void)arg;

    for (int i = 0; i < CALLS; i++)
        sum += await(async_loop_call(async_loop_at(1 - loop), twice,
                                     (void *)(intptr_t)i)) == 2 * i;
    add(&finished, 1);
    if (await(reach(&finished, 2)) < 0)
        return -1;
    return sum;
}

static void test_calls_both_ways(void **state) {
    int results[2];
    (void)state;

    store(&finished, 0);
    assert_int_equal(async_run_loops(2, both_ways, NULL, results), 0);
    assert_int_equal(results[0], CALLS);
    assert_int_equal(results[1], CALLS);
    assert_int_equal(load(&ran_on[0]), CALLS);
    assert_int_equal(load(&ran_on[1]), CALLS);
}

/* Loop 1 ends at once; loop 0 calls it once posts say it has ended. */
static async int target_ended(int loop, void *arg) {
    int rc = 0;
    (void)arg;

    if (loop == 1)
        return 0;
    for (int i = 0; i < PATIENCE_MS; i++) {
        rc = async_loop_post(async_loop_at(1), nothing, NULL);
        if (rc != 0)
            break;
        await(async_sleep(0.001));
    }
    out[0] = rc;
    async_try(await(async_loop_call(async_loop_at(1), twice, (void *)1)),
              &errs[1]);
    return 0;
}

static void test_target_ended(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run_loops(2, target_ended, NULL, results), 0);
    assert_int_equal(out[0], -ESHUTDOWN);
    assert_int_equal(errs[1], -ESHUTDOWN);
    assert_int_equal(load(&fn_runs), 0);
}

/* The caller gives up after 1 s of a call that would take 30. */
static async int caller_times_out(int loop, void *arg) {
    (void)arg;

    if (loop == 1)
        return await(serve());
    async_try(await(async_wait_for(
                  async_loop_call(async_loop_at(1), long_fn, NULL), 1.0)),
              &errs[0]);
    /* fn's task has finished by now, its cleanup included. */
    out[1] = load(&fn_runs);
    out[2] = load(&fn_cleaned);
    /* Loop 1 still serves. */
    out[3] = await(async_loop_call(async_loop_at(1), twice, (void *)21));
    return end_serving();
}

static void test_caller_times_out(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run_loops(2, caller_times_out, NULL, results), 0);
    assert_int_equal(errs[0], ASYNC_ETIMEDOUT);
    /* Started (it had 1 s) and cleaned up before the await ended. */
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 1);
    assert_int_equal(load(&fn_failing), ASYNC_ECANCELED);
    assert_int_equal(out[3], 42);
    assert_int_equal(results[1], 0);
}

/* The caller's task is cancelled once fn has started. */
static async int caller_cancelled(int loop, void *arg) {
    async_task *t;
    (void)arg;

    if (loop == 1)
        return await(serve());
    t = async_spawn(call(async_loop_at(1), long_fn, 0));
    if (await(reach(&fn_runs, 1)) < 0)
        return -1;
    out[0] = async_cancel(t);
    async_try(await(t), &errs[1]);
    out[2] = load(&fn_cleaned);
    return end_serving();
}

static void test_caller_cancelled(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run_loops(2, caller_cancelled, NULL, results), 0);
    assert_int_equal(results[0], 0);
    assert_int_equal(out[0], 1);
    assert_int_equal(errs[1], ASYNC_ECANCELED);
    assert_int_equal(out[2], 1);
    assert_int_equal(load(&fn_failing), ASYNC_ECANCELED);
}

/* Loop 1 ends its run while fn runs on it. */
static async int target_ends(int loop, void *arg) {
    (void)arg;

    if (loop == 1) {
        if (await(reach(&fn_runs, 1)) < 0)
            return -1;
        return 1;
    }
    async_try(await(async_loop_call(async_loop_at(1), long_fn, NULL)),
              &errs[0]);
    out[1] = load(&fn_cleaned);
    return 0;
}

static void test_target_ends(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run_loops(2, target_ends, NULL, results), 0);
    assert_int_equal(results[1], 1);
    assert_int_equal(errs[0], ASYNC_ECANCELED);
    assert_int_equal(out[1], 1);
    assert_int_equal(load(&fn_failing), ASYNC_ECANCELED);
}

/* Calls to the caller's own loop: a result, and a timeout. */
static async int own_loop(void) {
    int r = await(async_loop_call(async_loop_current(), twice, (void *)8));

    async_try(await(async_wait_for(
                  async_loop_call(async_loop_current(), long_fn, NULL), 0.1)),
              &errs[0]);
    out[1] = load(&fn_cleaned);
    return r;
}

static async int own_loop_of_two(int loop, void *arg) {
    (void)arg;
    if (loop == 0)
        return 0;
    return await(async_loop_call(async_loop_current(), twice, (void *)9));
}

static void test_own_loop(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run(own_loop()), 16);
    assert_int_equal(errs[0], ASYNC_ETIMEDOUT);
    assert_int_equal(out[1], 1);
    assert_int_equal(load(&ran_on[0]), 1);
    assert_int_equal(async_run_loops(2, own_loop_of_two, NULL, results), 0);
    assert_int_equal(results[1], 18);
    assert_int_equal(load(&ran_on[1]), 1);
}

static async int bad_calls(void) {
    async_loop_fn *none = NULL;

    async_try(await(async_loop_call(NULL, twice, NULL)), &errs[0]);
    async_try(await(async_loop_call(async_loop_current(), none, NULL)),
              &errs[1]);
    return 0;
}

static void test_bad_arguments(void **state) {
    (void)state;

    assert_int_equal(async_run(bad_calls()), 0);
    assert_int_equal(errs[0], ASYNC_EINVAL);
    assert_int_equal(errs[1], ASYNC_EINVAL);
    assert_int_equal(load(&fn_runs), 0);
}

/* An argument runs only the tests whose names match it (a glob). */
int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_results_and_failures, setup),
        cmocka_unit_test_setup(test_calls_both_ways, setup),
        cmocka_unit_test_setup(test_target_ended, setup),
        cmocka_unit_test_setup(test_caller_times_out, setup),
        cmocka_unit_test_setup(test_caller_cancelled, setup),
        cmocka_unit_test_setup(test_target_ends, setup),
        cmocka_unit_test_setup(test_own_loop, setup),
        cmocka_unit_test_setup(test_bad_arguments, setup),
    };

    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
