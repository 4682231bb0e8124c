/*
 * test_ticker.c -- async_ticker: 50 ticks of 10 ms end 500 ms after the
 * start although each tick's body takes several milliseconds (no
 * drift); a loop stalled for 3.5 periods in each missed-tick mode
 * (burst: the late ticks at once; skip: dropped and counted; delay: the
 * schedule restarts); a cancelled tick takes nothing; reset; bad
 * arguments.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "internal.h"

static double now_s(void) { return (double)async__clock_ns() / 1e9; }

/* Blocks the thread (and so the loop) for `s` seconds. */
static void block_for(double s) {
    struct timespec ts = {0, (long)(s * 1e9)};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Blocks the thread until the monotonic clock reads `ns`. */
static void block_until(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static async int fifty_ticks(double *elapsed) {
    async_ticker t;
    double t0;

    assert_int_equal(async_ticker_init(&t, 0.01, ASYNC_TICK_BURST), 0);
    t0 = (double)t.start_ns / 1e9;
    for (int i = 0; i < 50; i++) {
        await(async_ticker_tick(&t));
        block_for(0.004); /* the body takes 4 ms of every 10 */
    }
    *elapsed = now_s() - 0.004 - t0;
    assert_int_equal(async_ticker_ticks(&t), 50);
    assert_int_equal(async_ticker_missed(&t), 0);
    return 0;
}

/* The 50th tick comes 500 ms after the start: 4 ms a tick would have
 * added 200 ms had each period started after the body. */
static void test_no_drift(void **state) {
    double elapsed = 0;

    (void)state;
    assert_int_equal(async_run(fifty_ticks(&elapsed)), 0);
    assert_true(elapsed >= 0.5);
    assert_true(elapsed < 0.54);
}

/* The period: a quarter of it is the slack allowed for lateness, and a
 * loaded two-core machine (valgrind, a build beside the tests) has
 * delayed a wakeup by more than 10 ms. */
enum { P_MS = 80 };
#define P ((double)P_MS / 1000)

/* Ticks once, stalls the loop until 4.5 periods after the start, then
 * records what each of the next `n` awaits evaluates to and when, in
 * periods since the start. */
static async int stalled(int mode, int n, uint64_t *late, double *when,
                         uint64_t *missed) {
    async_ticker t;

    assert_int_equal(async_ticker_init(&t, P, mode), 0);
    assert_int_equal(await(async_ticker_tick(&t)), 0);
    block_until(t.start_ns + (uint64_t)(4.5 * P * 1e9));
    for (int i = 0; i < n; i++) {
        late[i] = await(async_ticker_tick(&t));
        when[i] = ((double)async__clock_ns() - (double)t.start_ns) / 1e9 / P;
    }
    *missed = async_ticker_missed(&t);
    return 0;
}

/* `when` is at `at` periods, give or take a quarter period (late only). */
static void assert_at(double when, double at) {
    assert_true(when >= at - 0.01);
    assert_true(when < at + 0.25);
}

static void test_stall_burst(void **state) {
    uint64_t late[4], missed = 9;
    double when[4];

    (void)state;
    assert_int_equal(
        async_run(stalled(ASYNC_TICK_BURST, 4, late, when, &missed)), 0);
    /* 2P, 3P and 4P at once, then 5P on time. */
    assert_int_equal(late[0], 2);
    assert_int_equal(late[1], 1);
    assert_int_equal(late[2], 0);
    assert_int_equal(late[3], 0);
    assert_at(when[0], 4.5);
    assert_at(when[2], 4.5);
    assert_at(when[3], 5);
    assert_int_equal(missed, 0);
}

static void test_stall_skip(void **state) {
    uint64_t late[3], missed = 0;
    double when[3];

    (void)state;
    assert_int_equal(
        async_run(stalled(ASYNC_TICK_SKIP, 3, late, when, &missed)), 0);
    /* 2P at once; 3P and 4P dropped; 5P and 6P on schedule. */
    assert_int_equal(late[0], 2);
    assert_int_equal(late[1], 0);
    assert_int_equal(late[2], 0);
    assert_at(when[0], 4.5);
    assert_at(when[1], 5);
    assert_at(when[2], 6);
    assert_int_equal(missed, 2);
}

static void test_stall_delay(void **state) {
    uint64_t late[3], missed = 0;
    double when[3];

    (void)state;
    assert_int_equal(
        async_run(stalled(ASYNC_TICK_DELAY, 3, late, when, &missed)), 0);
    /* 2P at once (4.5P); then one period after it, and after that. */
    assert_int_equal(late[0], 2);
    assert_int_equal(late[1], 0);
    assert_at(when[0], 4.5);
    assert_at(when[1], when[0] + 1);
    assert_at(when[2], when[1] + 1);
    assert_int_equal(missed, 2);
}

/* A tick cancelled (by a deadline) before it is due takes nothing: the
 * next await completes at the same deadline. */
static async int cancel_safe(void) {
    async_ticker t;
    int err;
    double t0;

    assert_int_equal(async_ticker_init(&t, P, ASYNC_TICK_SKIP), 0);
    t0 = (double)t.start_ns / 1e9;
    async_try(await(async_wait_for(async_ticker_tick(&t), P / 4)), &err);
    assert_int_equal(err, ASYNC_ETIMEDOUT);
    assert_int_equal(async_ticker_ticks(&t), 0);
    assert_int_equal(await(async_ticker_tick(&t)), 0);
    assert_true(now_s() - t0 >= P);
    assert_true(now_s() - t0 < 1.25 * P);
    assert_int_equal(async_ticker_ticks(&t), 1);
    return 0;
}

static void test_cancel_safe(void **state) {
    (void)state;
    assert_int_equal(async_run(cancel_safe()), 0);
}

/* A reset restarts the schedule from now. */
static async int reset(void) {
    async_ticker t;
    double r;

    assert_int_equal(async_ticker_init(&t, P, ASYNC_TICK_BURST), 0);
    block_for(0.8 * P);
    assert_int_equal(async_ticker_reset(&t), 0);
    r = now_s();
    await(async_ticker_tick(&t));
    assert_true(now_s() - r >= P);
    assert_true(now_s() - r < 1.25 * P);
    return 0;
}

static void test_reset(void **state) {
    (void)state;
    assert_int_equal(async_run(reset()), 0);
}

static async int tick_null(void) {
    int err;

    async_try(await(async_ticker_tick(NULL)), &err);
    return err;
}

static void test_bad_arguments(void **state) {
    async_ticker t;

    (void)state;
    assert_int_equal(async_ticker_init(NULL, 1, 0), ASYNC_EINVAL);
    assert_int_equal(async_ticker_init(&t, 0, 0), ASYNC_EINVAL);
    assert_int_equal(async_ticker_init(&t, -1, 0), ASYNC_EINVAL);
    assert_int_equal(async_ticker_init(&t, NAN, 0), ASYNC_EINVAL);
    assert_int_equal(async_ticker_init(&t, INFINITY, 0), ASYNC_EINVAL);
    assert_int_equal(async_ticker_init(&t, 1e300, 0), ASYNC_EINVAL);
    assert_int_equal(async_ticker_init(&t, 1, 3), ASYNC_EINVAL);
    assert_int_equal(async_ticker_init(&t, 1e-12, 0), 0);
    assert_int_equal(t.period_ns, 1);
    assert_int_equal(async_ticker_reset(NULL), ASYNC_EINVAL);
    assert_int_equal(async_ticker_ticks(NULL), 0);
    assert_int_equal(async_ticker_missed(NULL), 0);
    assert_int_equal(async_run(tick_null()), ASYNC_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_drift),
        cmocka_unit_test(test_stall_burst),
        cmocka_unit_test(test_stall_skip),
        cmocka_unit_test(test_stall_delay),
        cmocka_unit_test(test_cancel_safe),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
