/*
 * test_queue_unbounded.c -- unbounded queues and
 * async_condition_wait_for.  Queues: puts never wait (a thousand puts do
 * not suspend), FIFO order across growth, a waiting getter handed an
 * item, a cancelled getter giving its item back to the front, join and
 * task_done, close, async_queue_free refusing while a task waits.
 * Conditions: wait_for true at once (no suspension), after several
 * notifications, cancelled (the lock held again, the predicate not
 * called again), bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

static int ticks;

static async void ticker(void) {
    for (;;) {
        ticks++;
        await(async_sleep(0));
    }
}

static async int put_many(async_queue *q, int n) {
    async_task *t = async_spawn(ticker());

    await(async_sleep(0));
    int before = ticks;
    for (intptr_t i = 0; i < n; i++)
        await(async_queue_put(q, (void *)i));
    int suspended = ticks != before;
    for (intptr_t i = 0; i < n; i++)
        if (await(async_queue_get(q)) != (void *)i)
            return -1;
    async_cancel(t);
    async_task_release(t);
    return suspended;
}

static void test_puts_never_wait(void **state) {
    async_queue q;

    (void)state;
    assert_int_equal(async_queue_init_unbounded(&q), 0);
    assert_int_equal(async_run(put_many(&q, 1000)), 0);
    assert_int_equal(async_queue_size(&q), 0);
    assert_int_equal(async_queue_free(&q), 0);
}

static async void getter(async_queue *q, int id) {
    int err;
    void *item = async_try(await(async_queue_get(q)), &err);

    if (err)
        event(-id);
    else
        event(100 * id + (int)(intptr_t)item);
    async_queue_task_done(q);
}

static async int handed(async_queue *q) {
    async_task *g1 = async_spawn(getter(q, 1));
    async_task *g2 = async_spawn(getter(q, 2));
    async_task *g3 = async_spawn(getter(q, 3));

    await(async_sleep(0));
    /* Free refuses while getters wait. */
    assert_int_equal(async_queue_free(q), -EBUSY);
    await(async_queue_put(q, (void *)7));
    await(async_queue_put(q, (void *)8));
    /* 7 is handed to getter 1, which is cancelled before it runs: 7
     * goes back to the front, to getter 3, after 2 got 8. */
    async_cancel(g1);
    await(g2);
    await(g1); /* it caught its cancellation: event -1 */
    await(g3);
    async_task_release(g1);
    async_task_release(g2);
    async_task_release(g3);
    await(async_queue_put(q, (void *)9));
    assert_int_equal(async_queue_size(q), 1);
    return 0;
}

static void test_handed_and_cancelled(void **state) {
    static const int want[] = {-1, 208, 307};
    async_queue q;
    void *item;

    (void)state;
    assert_int_equal(async_queue_init_unbounded(&q), 0);
    assert_int_equal(async_run(handed(&q)), 0);
    assert_events(want, 3);
    assert_int_equal(async_queue_get_nowait(&q, &item), 0);
    assert_ptr_equal(item, (void *)9);
    assert_int_equal(async_queue_free(&q), 0);
}

static async int join_close(async_queue *q) {
    int err;

    for (intptr_t i = 1; i <= 20; i++)
        await(async_queue_put(q, (void *)i));
    for (int i = 0; i < 20; i++)
        async_task_release(async_spawn(getter(q, 1)));
    await(async_queue_join(q));
    event(1000);
    async_queue_close(q);
    async_try(await(async_queue_put(q, (void *)1)), &err);
    assert_int_equal(err, -EPIPE);
    async_try(await(async_queue_get(q)), &err);
    assert_int_equal(err, -EPIPE);
    return 0;
}

static void test_join_and_close(void **state) {
    async_queue q;

    (void)state;
    assert_int_equal(async_queue_init_unbounded(&q), 0);
    assert_int_equal(async_run(join_close(&q)), 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(events[i], 100 + i + 1);
    assert_int_equal(events[20], 1000);
    assert_int_equal(async_queue_put_nowait(&q, NULL), -EPIPE);
    assert_int_equal(async_queue_free(&q), 0);
    assert_int_equal(async_queue_init_unbounded(NULL), ASYNC_EINVAL);
    assert_int_equal(async_queue_free(NULL), ASYNC_EINVAL);
}

/* ------------------------------------------------------------------ */
/* async_condition_wait_for                                            */

static async_lock lock;
static async_condition cond;
static int value, calls, locked_in_pred;

static int reached(void *arg) {
    calls++;
    locked_in_pred += async_lock_locked(&lock) == 1;
    return value >= *(int *)arg ? value + 1 : 0;
}

static async int wait_until(int target) {
    int err, r;

    await(async_lock_acquire(&lock));
    r = async_try(await(async_condition_wait_for(&cond, reached, &target)),
                  &err);
    event(async_lock_locked(&lock) ? 1 : 0);
    async_lock_release(&lock);
    return err ? err : r;
}

static async int bump(int times) {
    for (int i = 0; i < times; i++) {
        await(async_sleep(0.001));
        await(async_lock_acquire(&lock));
        value++;
        async_condition_notify_all(&cond);
        async_lock_release(&lock);
    }
    return 0;
}

static async int at_once(void) {
    async_task *t = async_spawn(ticker());

    await(async_sleep(0));
    int before = ticks;
    int r = await(wait_until(0));
    int suspended = ticks != before;
    async_cancel(t);
    async_task_release(t);
    return suspended ? -1 : r;
}

static async int after_notifications(void) {
    async_task *w = async_spawn(wait_until(3));

    await(bump(5));
    return await(w);
}

static async int cancelled_wait(void) {
    async_task *w = async_spawn(wait_until(100));

    await(bump(2));
    /* Hold the lock while cancelling: the wait re-acquires it first. */
    await(async_lock_acquire(&lock));
    async_cancel(w);
    await(async_sleep(0.002));
    event(2);
    int c = calls;
    async_lock_release(&lock);
    assert_int_equal(await(w), ASYNC_ECANCELED); /* wait_until's value */
    return calls - c;
}

static void cond_reset(void) {
    async_lock_init(&lock);
    async_condition_init(&cond, &lock);
    value = calls = locked_in_pred = 0;
}

static void test_wait_for(void **state) {
    (void)state;
    /* True at the start: no wait, no suspension. */
    cond_reset();
    assert_int_equal(async_run(at_once()), 1);
    assert_int_equal(calls, 1);
    /* value reaches 3 on the third notification: pred is called at the
     * start and after each, with the lock held; the result is pred's. */
    cond_reset();
    events_reset();
    assert_int_equal(async_run(after_notifications()), 3 + 1);
    assert_int_equal(calls, 4);
    assert_int_equal(locked_in_pred, 4);
    static const int want[] = {1};
    assert_events(want, 1);
}

static void test_wait_for_cancelled(void **state) {
    (void)state;
    cond_reset();
    events_reset();
    /* The cancelled wait fails only once it holds the lock again (after
     * event 2, when the canceller lets go), without calling pred. */
    assert_int_equal(async_run(cancelled_wait()), 0);
    static const int want[] = {2, 1};
    assert_events(want, 2);
    /* At the start and after the first notification; the second one's
     * wake-up was cancelled before it ran. */
    assert_int_equal(calls, 2);
}

static async int bad_wait_for(void) {
    int err, e2, e3;

    async_try(await(async_condition_wait_for(NULL, reached, NULL)), &err);
    await(async_lock_acquire(&lock));
    async_try(await(async_condition_wait_for(&cond, NULL, NULL)), &e2);
    async_lock_release(&lock);
    async_try(await(async_condition_wait_for(&cond, reached, &value)), &e3);
    return err == ASYNC_EINVAL && e2 == ASYNC_EINVAL && e3 == ASYNC_EINVAL;
}

static void test_wait_for_bad_input(void **state) {
    (void)state;
    cond_reset();
    assert_int_equal(async_run(bad_wait_for()), 1);
    assert_int_equal(calls, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_puts_never_wait, setup),
        cmocka_unit_test_setup(test_handed_and_cancelled, setup),
        cmocka_unit_test_setup(test_join_and_close, setup),
        cmocka_unit_test_setup(test_wait_for, setup),
        cmocka_unit_test_setup(test_wait_for_cancelled, setup),
        cmocka_unit_test_setup(test_wait_for_bad_input, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
