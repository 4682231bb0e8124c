/*
 * test_barrier.c -- async_barrier, asyncio.Barrier: arrival indexes and
 * release, reuse for another cycle, tasks arriving while it drains,
 * abort and reset (waiters fail with -EPIPE), cancellation while
 * waiting (the task leaves, and indexes are taken again as in asyncio)
 * and after release, the accessors and bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"

/* Events: ARRIVE + id when party `id` calls wait, LEFT + 10 * id + index
 * when its wait returned `index`, FAILED + id when it failed. */
enum { ARRIVE = 100, LEFT = 1000, FAILED = 2000 };

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

static async_barrier b;
static int codes[8];

/* After `delay` seconds (at once, in its first step, when negative),
 * arrives at the barrier `rounds` times.  A cancellation fails it. */
static async int party(int id, double delay, int rounds) {
    int err, index = -1;

    if (delay >= 0)
        await(async_sleep(delay));
    for (int i = 0; i < rounds; i++) {
        event(ARRIVE + id);
        index = async_try(await(async_barrier_wait(&b)), &err);
        codes[id] = err;
        if (err) {
            event(FAILED + id);
            if (err == ASYNC_ECANCELED)
                async_raise(err);
            return err;
        }
        event(LEFT + 10 * id + index);
    }
    return index;
}

static async int three_parties(void) {
    async_task *t[3];

    /* They arrive in their first steps: no timing involved. */
    for (int i = 0; i < 2; i++)
        t[i] = async_spawn(party(i + 1, -1, 2));
    await(async_sleep(0));
    /* Two arrived, the third has not. */
    assert_int_equal(async_barrier_n_waiting(&b), 2);
    t[2] = async_spawn(party(3, -1, 2));
    for (int i = 0; i < 3; i++)
        await(t[i]);
    assert_int_equal(async_barrier_n_waiting(&b), 0);
    return 0;
}

/* Indexes in arrival order; nobody leaves before the last arrives, who
 * leaves first (it does not suspend), then the others in order.  Each
 * arrives again at once: while the barrier drains they wait outside,
 * and once the last has left they arrive in order (2, which left last,
 * first, then 3 and 1), as in asyncio. */
static void test_arrival_and_reuse(void **state) {
    static const int want[] = {ARRIVE + 1, ARRIVE + 2, ARRIVE + 3, LEFT + 32,
                               ARRIVE + 3, LEFT + 10,  ARRIVE + 1, LEFT + 21,
                               ARRIVE + 2, LEFT + 12,  LEFT + 20,  LEFT + 31};
    (void)state;
    assert_int_equal(async_barrier_init(&b, 3), 0);
    assert_int_equal(async_barrier_parties(&b), 3);
    assert_int_equal(async_barrier_broken(&b), 0);
    assert_int_equal(async_run(three_parties()), 0);
    assert_events(want, 12);
}

/* A barrier of one party never waits. */
static async int alone(void) {
    int a = await(async_barrier_wait(&b));
    int c = await(async_barrier_wait(&b));
    return a + c + async_barrier_n_waiting(&b);
}

static void test_one_party(void **state) {
    (void)state;
    assert_int_equal(async_barrier_init(&b, 1), 0);
    assert_int_equal(async_run(alone()), 0);
}

static async int abort_waiters(void) {
    async_task *t[2];
    int err;

    t[0] = async_spawn(party(1, -1, 1));
    t[1] = async_spawn(party(2, -1, 1));
    await(async_sleep(0));
    assert_int_equal(async_barrier_n_waiting(&b), 2);
    assert_int_equal(async_barrier_abort(&b), 0);
    assert_int_equal(async_barrier_broken(&b), 1);
    assert_int_equal(async_barrier_n_waiting(&b), 0);
    await(t[0]);
    await(t[1]);
    assert_int_equal(codes[1], -EPIPE);
    assert_int_equal(codes[2], -EPIPE);
    /* Broken: a new wait fails at once. */
    async_try(await(async_barrier_wait(&b)), &err);
    assert_int_equal(err, -EPIPE);
    /* Reset with nobody inside: filling again. */
    assert_int_equal(async_barrier_reset(&b), 0);
    assert_int_equal(async_barrier_broken(&b), 0);
    t[0] = async_spawn(party(3, 0, 1));
    t[1] = async_spawn(party(4, 0, 1));
    await(async_sleep(0));
    return await(async_barrier_wait(&b)) + await(t[0]) + await(t[1]);
}

static void test_abort(void **state) {
    /* After the reset the main task arrives first (the parties yield
     * once before they arrive), and 4 releases. */
    static const int want[] = {ARRIVE + 1, ARRIVE + 2, FAILED + 1, FAILED + 2,
                               ARRIVE + 3, ARRIVE + 4, LEFT + 42,  LEFT + 31};
    (void)state;
    assert_int_equal(async_barrier_init(&b, 3), 0);
    assert_int_equal(async_run(abort_waiters()), 0 + 1 + 2);
    assert_events(want, 8);
}

static async int reset_waiters(void) {
    async_task *t[3];

    t[0] = async_spawn(party(1, -1, 1));
    t[1] = async_spawn(party(2, -1, 1));
    await(async_sleep(0));
    /* Takes its first step before the two run again: arrives while they
     * leave, waits for them, then comes in first. */
    t[2] = async_spawn(party(3, -1, 1));
    assert_int_equal(async_barrier_reset(&b), 0);
    assert_int_equal(async_barrier_broken(&b), 0);
    assert_int_equal(async_barrier_n_waiting(&b), 0); /* resetting */
    await(t[0]);
    await(t[1]);
    assert_int_equal(codes[1], -EPIPE);
    assert_int_equal(codes[2], -EPIPE);
    await(async_sleep(0));
    assert_int_equal(async_barrier_n_waiting(&b), 1);
    t[0] = async_spawn(party(4, 0, 1));
    return await(async_barrier_wait(&b)) + 10 * await(t[2]) + 100 * await(t[0]);
}

/* Reset while two wait: both fail, the barrier fills again. */
static void test_reset(void **state) {
    static const int want[] = {ARRIVE + 1, ARRIVE + 2, ARRIVE + 3, FAILED + 1,
                               FAILED + 2, ARRIVE + 4, LEFT + 42,  LEFT + 30};
    /* Without the wait outside, 3 would have taken index 2 and released
     * the two. */
    (void)state;
    assert_int_equal(async_barrier_init(&b, 3), 0);
    assert_int_equal(async_run(reset_waiters()), 1 + 10 * 0 + 100 * 2);
    assert_events(want, 8);
}

static async int cancel_filling(void) {
    async_task *a, *c, *d, *e;
    int err;

    a = async_spawn(party(1, -1, 1));
    c = async_spawn(party(2, -1, 1));
    await(async_sleep(0));
    async_cancel(a);
    async_try(await(a), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    assert_int_equal(async_barrier_n_waiting(&b), 1);
    /* asyncio's index is the count inside: 3 takes 1 again, 4 takes 2. */
    d = async_spawn(party(3, 0, 1));
    e = async_spawn(party(4, 0, 1));
    return 100 * await(c) + 10 * await(d) + await(e);
}

/* A task cancelled while it waits to be released leaves. */
static void test_cancel_while_filling(void **state) {
    static const int want[] = {ARRIVE + 1, ARRIVE + 2, FAILED + 1, ARRIVE + 3,
                               ARRIVE + 4, LEFT + 42,  LEFT + 21,  LEFT + 31};
    (void)state;
    assert_int_equal(async_barrier_init(&b, 3), 0);
    assert_int_equal(async_run(cancel_filling()), 111 + 1);
    assert_events(want, 8);
    assert_int_equal(codes[1], ASYNC_ECANCELED);
}

static async_task *first;

static async int releaser(void) {
    int index = await(async_barrier_wait(&b));

    /* Released but not run yet: cancellation wins over the release. */
    async_cancel(first);
    return index;
}

static async int cancel_released(void) {
    int err;

    first = async_spawn(party(1, -1, 1));
    await(async_sleep(0));
    int r = await(releaser());
    async_try(await(first), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    /* Everyone has left: the next cycle starts from index 0. */
    assert_int_equal(async_barrier_n_waiting(&b), 0);
    async_task *t = async_spawn(party(2, 0, 1));
    await(async_sleep(0));
    return r + 10 * await(async_barrier_wait(&b)) + 100 * await(t);
}

static void test_cancel_after_release(void **state) {
    (void)state;
    assert_int_equal(async_barrier_init(&b, 2), 0);
    /* The releaser's 1; then the main task arrives first (0) and 2 (1). */
    assert_int_equal(async_run(cancel_released()), 1 + 10 * 0 + 100 * 1);
}

static async int bad(void) {
    int err;

    async_try(await(async_barrier_wait(NULL)), &err);
    return err;
}

static void test_bad_input(void **state) {
    (void)state;
    assert_int_equal(async_barrier_init(NULL, 1), ASYNC_EINVAL);
    assert_int_equal(async_barrier_init(&b, 0), ASYNC_EINVAL);
    assert_int_equal(async_barrier_reset(NULL), ASYNC_EINVAL);
    assert_int_equal(async_barrier_abort(NULL), ASYNC_EINVAL);
    assert_int_equal(async_barrier_parties(NULL), ASYNC_EINVAL);
    assert_int_equal(async_barrier_n_waiting(NULL), ASYNC_EINVAL);
    assert_int_equal(async_barrier_broken(NULL), ASYNC_EINVAL);
    assert_int_equal(async_run(bad()), ASYNC_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_arrival_and_reuse, setup),
        cmocka_unit_test_setup(test_one_party, setup),
        cmocka_unit_test_setup(test_abort, setup),
        cmocka_unit_test_setup(test_reset, setup),
        cmocka_unit_test_setup(test_cancel_while_filling, setup),
        cmocka_unit_test_setup(test_cancel_after_release, setup),
        cmocka_unit_test_setup(test_bad_input, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
