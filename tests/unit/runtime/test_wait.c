/*
 * test_wait.c -- waiting on arrays of task handles: async_wait in its
 * three modes and with deadlines, async_as_completed (order, deadline,
 * cancellation, closing early), async_gather_tasks (errors, results of
 * every type, cancellation); every node off the tasks' lists once the
 * wait is over, and waits left pending when async_run returns.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"

enum { CAUGHT = 200, WOKE = 300, CANCELLING = 400, OTHER = 500 };

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The unit of time: wide enough that a loaded machine keeps the order
 * of events. */
#define U 0.05

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

static async int sleeper(int id, double seconds) {
    event(id);
    await(async_sleep(seconds));
    event(SLEEPER_END + id);
    return id;
}

static async int failer(int id, double seconds, int code) {
    event(id);
    await(async_sleep(seconds));
    event(SLEEPER_END + id);
    if (code != 0)
        async_raise(code);
    return id;
}

/* Catches a cancellation, notes it and fails with it. */
static async int cleaner(int id, double seconds) {
    int err;

    event(id);
    async_try(await(async_sleep(seconds)), &err);
    if (err) {
        event(CAUGHT + id);
        async_raise(err);
    }
    event(SLEEPER_END + id);
    return id;
}

/* Notes that it ran: tells whether a wait suspended. */
static async int other(void) {
    event(OTHER);
    return 0;
}

/* No node of any wait on t's list. */
static void assert_no_waiters(async_task *t) {
    assert_null(async__waiter_next(t, NULL));
}

/* Releases every handle; nothing may wait on them any more. */
static void release_all(async_task **t, int n) {
    for (int i = 0; i < n; i++) {
        assert_no_waiters(t[i]);
        async_task_release(t[i]);
    }
}

/* ------------------------------------------------------------------ */
/* async_wait                                                          */
/* ------------------------------------------------------------------ */

/* Tasks 1..3 sleep 3, 1 and 2 U (task 2 fails with `code2`); the
 * wait in `mode` with `timeout` returns; then the rest finish. */
static int wm_done;
static int wm_done_flags[3];
static double wm_took;

static async int wait_mode(int mode, double timeout, int code2) {
    async_task *t[3];
    async_wait_node nodes[3];
    double start = async_time();

    t[0] = async_spawn(sleeper(1, 3 * U));
    t[1] = async_spawn(failer(2, U, code2));
    t[2] = async_spawn(sleeper(3, 2 * U));
    wm_done = await(async_wait(t, 3, nodes, mode, timeout));
    wm_took = async_time() - start;
    event(WOKE);
    for (int i = 0; i < 3; i++) {
        wm_done_flags[i] = async_task_done(t[i]);
        if (!wm_done_flags[i])
            assert_no_waiters(t[i]);
    }
    /* Only the joins of this gather wait on them now. */
    await(async_gather_tasks(t, 3, NULL));
    release_all(t, 3);
    return 0;
}

static void test_wait_first_completed(void **state) {
    (void)state;
    assert_int_equal(
        async_run(wait_mode(ASYNC_FIRST_COMPLETED, ASYNC_NO_TIMEOUT, 0)), 0);
    assert_int_equal(wm_done, 1);
    assert_int_equal(wm_done_flags[0], 0);
    assert_int_equal(wm_done_flags[1], 1);
    assert_int_equal(wm_done_flags[2], 0);
    static const int want[] = {
        1, 2, 3, SLEEPER_END + 2, WOKE, SLEEPER_END + 3, SLEEPER_END + 1};
    assert_events(want, N(want));
}

static void test_wait_all_completed(void **state) {
    (void)state;
    assert_int_equal(
        async_run(wait_mode(ASYNC_ALL_COMPLETED, ASYNC_NO_TIMEOUT, -EIO)), 0);
    assert_int_equal(wm_done, 3);
    static const int want[] = {
        1, 2, 3, SLEEPER_END + 2, SLEEPER_END + 3, SLEEPER_END + 1, WOKE};
    assert_events(want, N(want));
}

static void test_wait_first_exception(void **state) {
    (void)state;
    /* Task 2 fails first: the wait returns then. */
    assert_int_equal(
        async_run(wait_mode(ASYNC_FIRST_EXCEPTION, ASYNC_NO_TIMEOUT, -EIO)), 0);
    assert_int_equal(wm_done, 1);
    assert_int_equal(wm_done_flags[1], 1);
    /* No failure: it waits for all. */
    events_reset();
    assert_int_equal(
        async_run(wait_mode(ASYNC_FIRST_EXCEPTION, ASYNC_NO_TIMEOUT, 0)), 0);
    assert_int_equal(wm_done, 3);
    /* ASYNC_ECANCELED is a cancellation, not a failure. */
    events_reset();
    assert_int_equal(async_run(wait_mode(ASYNC_FIRST_EXCEPTION,
                                         ASYNC_NO_TIMEOUT, ASYNC_ECANCELED)),
                     0);
    assert_int_equal(wm_done, 3);
}

static void test_wait_timeout(void **state) {
    (void)state;
    /* 1.5 U: task 2 has finished, the others run on, uncancelled. */
    assert_int_equal(async_run(wait_mode(ASYNC_ALL_COMPLETED, 1.5 * U, 0)), 0);
    assert_int_equal(wm_done, 1);
    assert_true(wm_took >= 1.5 * U);
    assert_int_equal(wm_done_flags[1], 1);
    static const int want[] = {
        1, 2, 3, SLEEPER_END + 2, WOKE, SLEEPER_END + 3, SLEEPER_END + 1};
    assert_events(want, N(want));
    /* A deadline after the condition holds changes nothing. */
    events_reset();
    assert_int_equal(async_run(wait_mode(ASYNC_FIRST_COMPLETED, 20 * U, 0)), 0);
    assert_int_equal(wm_done, 1);
    assert_true(wm_took < 10 * U);
    /* Infinity is no deadline. */
    events_reset();
    assert_int_equal(async_run(wait_mode(ASYNC_ALL_COMPLETED, 1.0 / 0.0, 0)),
                     0);
    assert_int_equal(wm_done, 3);
}

/* A timeout of 0, and a condition that holds at the start: the wait
 * completes without suspending (`other`, spawned first, has not run). */
static int ni_done[3];

static async int wait_now(void) {
    async_task *t[2];
    async_wait_node nodes[2];

    t[0] = async_spawn(sleeper(1, 0));
    t[1] = async_spawn(sleeper(2, 2 * U));
    await(async_sleep(U));
    /* t[0] finished; t[1] has not. */
    async_task_release(async_spawn(other()));
    ni_done[0] = await(async_wait(t, 2, nodes, ASYNC_ALL_COMPLETED, 0));
    ni_done[1] =
        await(async_wait(t, 2, nodes, ASYNC_FIRST_COMPLETED, ASYNC_NO_TIMEOUT));
    event(WOKE);
    assert_no_waiters(t[1]);
    ni_done[2] =
        await(async_wait(t, 2, nodes, ASYNC_ALL_COMPLETED, ASYNC_NO_TIMEOUT));
    release_all(t, 2);
    return 0;
}

static void test_wait_without_suspending(void **state) {
    (void)state;
    assert_int_equal(async_run(wait_now()), 0);
    assert_int_equal(ni_done[0], 1);
    assert_int_equal(ni_done[1], 1);
    assert_int_equal(ni_done[2], 2);
    static const int want[] = {1,    2,     SLEEPER_END + 1,
                               WOKE, OTHER, SLEEPER_END + 2};
    assert_events(want, N(want));
}

/* A handle twice: each entry counts. */
static int dup_done;

static async int wait_duplicate(void) {
    async_task *t = async_spawn(sleeper(1, U));
    async_task *tasks[2] = {t, t};
    async_wait_node nodes[2];

    dup_done = await(
        async_wait(tasks, 2, nodes, ASYNC_ALL_COMPLETED, ASYNC_NO_TIMEOUT));
    assert_no_waiters(t);
    async_task_release(t);
    return 0;
}

static void test_wait_duplicate(void **state) {
    (void)state;
    assert_int_equal(async_run(wait_duplicate()), 0);
    assert_int_equal(dup_done, 2);
}

/* Bad input fails at once with ASYNC_EINVAL and links nothing. */
static int bad_err[6];

static async int wait_bad(void) {
    async_task *t[2];
    async_wait_node nodes[2];
    int err;

    t[0] = async_spawn(sleeper(1, U));
    t[1] = NULL;
    async_try(await(async_wait(NULL, 1, nodes, ASYNC_ALL_COMPLETED, -1)),
              &bad_err[0]);
    async_try(await(async_wait(t, 1, NULL, ASYNC_ALL_COMPLETED, -1)),
              &bad_err[1]);
    async_try(await(async_wait(t, 0, nodes, ASYNC_ALL_COMPLETED, -1)),
              &bad_err[2]);
    async_try(await(async_wait(t, 2, nodes, ASYNC_ALL_COMPLETED, -1)),
              &bad_err[3]);
    async_try(await(async_wait(t, 1, nodes, 0, -1)), &bad_err[4]);
    async_try(await(async_wait(t, 1, nodes, 4, -1)), &bad_err[5]);
    assert_no_waiters(t[0]);
    async_try(await(t[0]), &err);
    async_task_release(t[0]);
    return err;
}

static void test_wait_bad_input(void **state) {
    (void)state;
    assert_int_equal(async_run(wait_bad()), 0);
    for (int i = 0; i < N(bad_err); i++)
        assert_int_equal(bad_err[i], ASYNC_EINVAL);
}

/* The waiting task cancelled: the wait fails, the tasks run on. */
static int wc_err;

static async int waiting(async_task **t, int n, async_wait_node *nodes) {
    async_try(
        await(async_wait(t, n, nodes, ASYNC_ALL_COMPLETED, ASYNC_NO_TIMEOUT)),
        &wc_err);
    event(WOKE);
    for (int i = 0; i < n; i++)
        if (!async_task_done(t[i]))
            assert_no_waiters(t[i]);
    if (wc_err)
        async_raise(wc_err);
    return 0;
}

static async int cancel_wait(void) {
    async_task *t[2];
    async_wait_node nodes[2];
    int err;

    t[0] = async_spawn(cleaner(1, 2 * U));
    t[1] = async_spawn(cleaner(2, 3 * U));
    async_task *w = async_spawn(waiting(t, 2, nodes));
    await(async_sleep(U));
    event(CANCELLING);
    async_cancel(w);
    async_try(await(w), &err);
    async_task_release(w);
    assert_int_equal(err, ASYNC_ECANCELED);
    await(async_gather_tasks(t, 2, NULL));
    release_all(t, 2);
    return 0;
}

static void test_wait_cancelled(void **state) {
    (void)state;
    wc_err = 0;
    assert_int_equal(async_run(cancel_wait()), 0);
    assert_int_equal(wc_err, ASYNC_ECANCELED);
    static const int want[] = {
        1, 2, CANCELLING, WOKE, SLEEPER_END + 1, SLEEPER_END + 2};
    assert_events(want, N(want));
}

/* A cancellation requested before the wait starts applies at once. */
static async int cancel_self_wait(void) {
    async_task *t[1];
    async_wait_node nodes[1];
    int err;

    t[0] = async_spawn(sleeper(1, U));
    async_cancel(async__current());
    async_try(await(async_wait(t, 1, nodes, ASYNC_FIRST_COMPLETED, 1.0)), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    assert_no_waiters(t[0]);
    await(t[0]);
    async_task_release(t[0]);
    return 0;
}

static void test_wait_cancelled_before(void **state) {
    (void)state;
    assert_int_equal(async_run(cancel_self_wait()), 0);
}

/* ------------------------------------------------------------------ */
/* async_as_completed                                                  */
/* ------------------------------------------------------------------ */

static int order[8];
static int n_order;
static int ac_err;

/* Entries 0..3 sleep 4, 1, 0 and 2 U; entry 2 has finished when
 * the iteration starts; `timeout` for the whole iteration. */
static async int completed(double timeout) {
    async_task *t[4];
    async_wait_node nodes[4];
    async_as_completed ac;
    int err = 0;

    t[0] = async_spawn(sleeper(0, 4 * U));
    t[1] = async_spawn(failer(1, U, -EIO));
    t[2] = async_spawn(sleeper(2, 0));
    t[3] = async_spawn(sleeper(3, 2 * U));
    await(async_sleep(0.001));
    assert_true(async_task_done(t[2]));
    assert_int_equal(async_as_completed_init(&ac, t, 4, nodes, timeout), 0);
    assert_int_equal(async_as_completed_pending(&ac), 4);
    n_order = 0;
    while (async_as_completed_pending(&ac)) {
        int i = async_try(await(async_as_completed_next(&ac)), &err);

        if (err)
            break;
        order[n_order++] = i;
        if (i == 1)
            assert_int_equal(async_task_error(t[i]), -EIO);
        else
            assert_int_equal(async_task_result(t[i], int), i);
    }
    ac_err = err;
    assert_int_equal(async_as_completed_pending(&ac), 0);
    if (err) {
        /* Again: the same code. */
        async_try(await(async_as_completed_next(&ac)), &err);
        assert_int_equal(err, ASYNC_ETIMEDOUT);
    } else {
        async_try(await(async_as_completed_next(&ac)), &err);
        assert_int_equal(err, ASYNC_EINVAL);
    }
    for (int i = 0; i < 4; i++)
        if (!async_task_done(t[i]))
            assert_no_waiters(t[i]);
    await(async_gather_tasks(t, 4, NULL));
    release_all(t, 4);
    return 0;
}

static void test_as_completed_order(void **state) {
    (void)state;
    assert_int_equal(async_run(completed(ASYNC_NO_TIMEOUT)), 0);
    assert_int_equal(ac_err, 0);
    static const int want[] = {2, 1, 3, 0};
    assert_int_equal(n_order, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(order[i], want[i]);
}

static void test_as_completed_timeout(void **state) {
    (void)state;
    /* 1.5 U: entries 2 and 1, then the deadline; the others go on. */
    assert_int_equal(async_run(completed(1.5 * U)), 0);
    assert_int_equal(ac_err, ASYNC_ETIMEDOUT);
    assert_int_equal(n_order, 2);
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 1);
    static const int want[] = {0,
                               1,
                               2,
                               3,
                               SLEEPER_END + 2,
                               SLEEPER_END + 1,
                               SLEEPER_END + 3,
                               SLEEPER_END + 0};
    assert_events(want, N(want));
    /* No time: only the finished entry. */
    events_reset();
    assert_int_equal(async_run(completed(0)), 0);
    assert_int_equal(ac_err, ASYNC_ETIMEDOUT);
    assert_int_equal(n_order, 1);
    assert_int_equal(order[0], 2);
}

/* Every task finished before the deadline, read after it: no timeout. */
static async int completed_late_reader(void) {
    async_task *t[2];
    async_wait_node nodes[2];
    async_as_completed ac;

    t[0] = async_spawn(sleeper(0, 2 * U));
    t[1] = async_spawn(sleeper(1, U));
    assert_int_equal(async_as_completed_init(&ac, t, 2, nodes, 4 * U), 0);
    await(async_sleep(8 * U));
    order[0] = await(async_as_completed_next(&ac));
    order[1] = await(async_as_completed_next(&ac));
    assert_int_equal(async_as_completed_pending(&ac), 0);
    /* Nothing left, and no deadline that passed. */
    int err;
    async_try(await(async_as_completed_next(&ac)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    release_all(t, 2);
    return 0;
}

static void test_as_completed_deadline_after_all(void **state) {
    (void)state;
    assert_int_equal(async_run(completed_late_reader()), 0);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 0);
}

/* A next cancelled in the pass in which its entry's task finished (the
 * task cancels it just before it returns, so the next is woken by both)
 * takes nothing: the next one returns that entry. */
static async_task *cn_next;

static async int next_once(async_as_completed *ac) {
    int err;
    int i = async_try(await(async_as_completed_next(ac)), &err);

    event(WOKE);
    if (err)
        async_raise(err);
    return i;
}

static async int finish_and_cancel(double seconds) {
    await(async_sleep(seconds));
    event(CANCELLING);
    async_cancel(cn_next);
    return 0;
}

static async int cancel_next(void) {
    async_task *t[2];
    async_wait_node nodes[2];
    async_as_completed ac;
    int err;

    t[0] = async_spawn(finish_and_cancel(U));
    t[1] = async_spawn(sleeper(1, 3 * U));
    assert_int_equal(
        async_as_completed_init(&ac, t, 2, nodes, ASYNC_NO_TIMEOUT), 0);
    cn_next = async_spawn(next_once(&ac));
    async_try(await(cn_next), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    assert_int_equal(async_as_completed_pending(&ac), 2);
    order[0] = await(async_as_completed_next(&ac));
    order[1] = await(async_as_completed_next(&ac));
    async_task_release(cn_next);
    release_all(t, 2);
    return 0;
}

static void test_as_completed_cancelled_next(void **state) {
    (void)state;
    assert_int_equal(async_run(cancel_next()), 0);
    assert_int_equal(order[0], 0);
    assert_int_equal(order[1], 1);
    static const int want[] = {1, CANCELLING, WOKE, SLEEPER_END + 1};
    assert_events(want, N(want));
}

/* Leaving early: close takes the nodes off and stops the deadline. */
static async int close_early(void) {
    async_task *t[3];
    async_wait_node nodes[3];
    async_as_completed ac;
    int err;

    t[0] = async_spawn(sleeper(0, U));
    t[1] = async_spawn(sleeper(1, 2 * U));
    t[2] = async_spawn(sleeper(2, 2 * U));
    assert_int_equal(async_as_completed_init(&ac, t, 3, nodes, 3 * U), 0);
    order[0] = await(async_as_completed_next(&ac));
    async_as_completed_close(&ac);
    async_as_completed_close(&ac);
    assert_int_equal(async_as_completed_pending(&ac), 0);
    assert_no_waiters(t[1]);
    assert_no_waiters(t[2]);
    /* Its deadline is no longer in the loop's timers. */
    assert_int_equal(ac.timer.index, ASYNC__TIMER_NONE);
    async_try(await(async_as_completed_next(&ac)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    /* A deadline still armed would fire into ac after this frame. */
    await(async_sleep(5 * U));
    release_all(t, 3);
    return 0;
}

static void test_as_completed_close(void **state) {
    (void)state;
    assert_int_equal(async_run(close_early()), 0);
    assert_int_equal(order[0], 0);
}

/* close while another task waits in next: that next fails. */
static async int close_under_next(void) {
    async_task *t[1];
    async_wait_node nodes[1];
    async_as_completed ac;
    int err;

    t[0] = async_spawn(sleeper(0, 2 * U));
    async_as_completed_init(&ac, t, 1, nodes, ASYNC_NO_TIMEOUT);
    async_task *w = async_spawn(next_once(&ac));
    await(async_sleep(U));
    /* A second next on the same ac while w waits. */
    async_try(await(async_as_completed_next(&ac)), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_as_completed_close(&ac);
    async_try(await(w), &err);
    assert_int_equal(err, ASYNC_EINVAL);
    async_task_release(w);
    await(t[0]);
    release_all(t, 1);
    return 0;
}

static void test_as_completed_close_while_waiting(void **state) {
    (void)state;
    assert_int_equal(async_run(close_under_next()), 0);
}

static int acb[5];

static async int as_completed_bad(void) {
    async_task *t[2] = {NULL, NULL};
    async_wait_node nodes[2];
    async_as_completed ac;

    acb[0] = async_as_completed_init(NULL, t, 1, nodes, -1);
    t[0] = async_spawn(sleeper(0, 0));
    acb[1] = async_as_completed_init(&ac, t, 2, nodes, -1);
    assert_int_equal(async_as_completed_pending(&ac), 0);
    acb[2] = async_as_completed_init(&ac, t, 1, NULL, -1);
    acb[3] = async_as_completed_init(&ac, NULL, 1, nodes, -1);
    assert_no_waiters(t[0]);
    /* Nothing to iterate. */
    acb[4] = async_as_completed_init(&ac, NULL, 0, NULL, 1.0);
    assert_int_equal(async_as_completed_pending(&ac), 0);
    assert_int_equal(async_as_completed_pending(NULL), 0);
    async_as_completed_close(NULL);
    await(t[0]);
    async_task_release(t[0]);
    return 0;
}

static void test_as_completed_bad_input(void **state) {
    (void)state;
    assert_int_equal(async_run(as_completed_bad()), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(acb[i], ASYNC_EINVAL);
    assert_int_equal(acb[4], 0);
}

/* ------------------------------------------------------------------ */
/* async_gather_tasks                                                  */
/* ------------------------------------------------------------------ */

struct pair {
    double x;
    char name[20];
    long long n;
};

static async double half(double x) {
    await(async_sleep(0.002));
    return x / 2;
}

static async struct pair make_pair(double x, const char *name) {
    struct pair p;

    await(async_sleep(0.001));
    p.x = x;
    strcpy(p.name, name);
    p.n = 1LL << 40;
    return p;
}

static async const char *named(const char *s) {
    await(async_sleep(0));
    return s;
}

static async long long big_number(void) {
    await(async_sleep(0.003));
    return -(1LL << 50);
}

static async void nothing(void) { await(async_sleep(0)); }

static int gt_ret, gt_errs[6];

static async int gather_all(void) {
    static const char text[] = "text";
    async_task *t[6];

    t[0] = async_spawn(half(3.0));
    t[1] = async_spawn(make_pair(2.5, "pair"));
    t[2] = async_spawn(named(text));
    t[3] = async_spawn(big_number());
    t[4] = async_spawn(failer(4, 0.001, -EPIPE));
    t[5] = async_spawn(nothing());
    memset(gt_errs, 0x55, sizeof gt_errs);
    gt_ret = await(async_gather_tasks(t, 6, gt_errs));
    for (int i = 0; i < 6; i++)
        assert_true(async_task_done(t[i]));
    assert_true(async_task_result(t[0], double) == 1.5);
    struct pair p = async_task_result(t[1], struct pair);
    assert_true(p.x == 2.5);
    assert_string_equal(p.name, "pair");
    assert_true(p.n == 1LL << 40);
    assert_ptr_equal(async_task_result(t[2], const char *), text);
    assert_true(async_task_result(t[3], long long) == -(1LL << 50));
    /* await of a finished task: its int result or its error. */
    int err;
    async_try(await(t[4]), &err);
    assert_int_equal(err, -EPIPE);
    release_all(t, 6);
    return 0;
}

static void test_gather_tasks_results(void **state) {
    (void)state;
    assert_int_equal(async_run(gather_all()), 0);
    assert_int_equal(gt_ret, 1);
    static const int want[] = {0, 0, 0, 0, -EPIPE, 0};
    for (int i = 0; i < 6; i++)
        assert_int_equal(gt_errs[i], want[i]);
}

/* Cancelling the gathering task cancels every task not finished, waits
 * for them, fills errs and fails. */
static int gc_err, gc_errs[3];

static async int gathering(async_task **t, int n) {
    async_try(await(async_gather_tasks(t, n, gc_errs)), &gc_err);
    event(WOKE);
    for (int i = 0; i < n; i++)
        assert_true(async_task_done(t[i]));
    if (gc_err)
        async_raise(gc_err);
    return 0;
}

static async int cancel_gather(void) {
    async_task *t[3];
    int err;

    t[0] = async_spawn(cleaner(1, 10));
    t[1] = async_spawn(sleeper(2, U));
    t[2] = async_spawn(cleaner(3, 10));
    async_task *g = async_spawn(gathering(t, 3));
    await(async_sleep(2 * U));
    event(CANCELLING);
    async_cancel(g);
    async_try(await(g), &err);
    assert_int_equal(err, ASYNC_ECANCELED);
    async_task_release(g);
    release_all(t, 3);
    return 0;
}

static void test_gather_tasks_cancelled(void **state) {
    (void)state;
    assert_int_equal(async_run(cancel_gather()), 0);
    assert_int_equal(gc_err, ASYNC_ECANCELED);
    assert_int_equal(gc_errs[0], ASYNC_ECANCELED);
    assert_int_equal(gc_errs[1], 0);
    assert_int_equal(gc_errs[2], ASYNC_ECANCELED);
    static const int want[] = {
        1, 2, 3, SLEEPER_END + 2, CANCELLING, CAUGHT + 1, CAUGHT + 3, WOKE};
    assert_events(want, N(want));
}

static int ge[4];

static async int gather_edges(void) {
    async_task *t[2];
    int errs[2];

    /* Nothing to wait for. */
    ge[0] = await(async_gather_tasks(NULL, 0, NULL));
    t[0] = async_spawn(sleeper(1, 0));
    t[1] = NULL;
    async_try(await(async_gather_tasks(t, 2, errs)), &ge[1]);
    assert_no_waiters(t[0]);
    async_try(await(async_gather_tasks(NULL, 1, errs)), &ge[2]);
    await(t[0]);
    /* All finished: at once, without suspending. */
    async_task_release(async_spawn(other()));
    ge[3] = await(async_gather_tasks(t, 1, errs));
    event(WOKE);
    await(async_sleep(0));
    async_task_release(t[0]);
    return 0;
}

static void test_gather_tasks_edges(void **state) {
    (void)state;
    assert_int_equal(async_run(gather_edges()), 0);
    assert_int_equal(ge[0], 0);
    assert_int_equal(ge[1], ASYNC_EINVAL);
    assert_int_equal(ge[2], ASYNC_EINVAL);
    assert_int_equal(ge[3], 0);
    static const int want[] = {1, SLEEPER_END + 1, WOKE, OTHER};
    assert_events(want, N(want));
}

/* ------------------------------------------------------------------ */
/* The loop's teardown                                                 */
/* ------------------------------------------------------------------ */

/* async_run returns while a wait, an iteration with a deadline and a
 * gather still wait on stuck tasks: nothing is touched afterwards
 * (valgrind and ASan check), and the next run is unaffected. */
static async_task *td_tasks[2];
static async_wait_node td_nodes[2];
static async_as_completed td_ac;

static async int wait_forever(void) {
    return await(async_wait(td_tasks, 2, td_nodes, ASYNC_ALL_COMPLETED, 5.0));
}

static async int gather_forever(void) {
    return await(async_gather_tasks(td_tasks, 2, NULL));
}

static async_wait_node td_ac_nodes[2];

static async int leave_pending(void) {
    td_tasks[0] = async_spawn(stuck());
    td_tasks[1] = async_spawn(sleeper(1, 10));
    async_spawn(wait_forever());
    async_spawn(gather_forever());
    assert_int_equal(
        async_as_completed_init(&td_ac, td_tasks, 2, td_ac_nodes, 5.0), 0);
    await(async_sleep(0.005));
    return 7;
}

static void test_teardown_with_waits_pending(void **state) {
    (void)state;
    assert_int_equal(async_run(leave_pending()), 7);
    events_reset();
    assert_int_equal(async_run(wait_mode(ASYNC_ALL_COMPLETED, 1.5 * U, 0)), 0);
    assert_int_equal(wm_done, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_wait_first_completed, setup),
        cmocka_unit_test_setup(test_wait_all_completed, setup),
        cmocka_unit_test_setup(test_wait_first_exception, setup),
        cmocka_unit_test_setup(test_wait_timeout, setup),
        cmocka_unit_test_setup(test_wait_without_suspending, setup),
        cmocka_unit_test_setup(test_wait_duplicate, setup),
        cmocka_unit_test_setup(test_wait_bad_input, setup),
        cmocka_unit_test_setup(test_wait_cancelled, setup),
        cmocka_unit_test_setup(test_wait_cancelled_before, setup),
        cmocka_unit_test_setup(test_as_completed_order, setup),
        cmocka_unit_test_setup(test_as_completed_timeout, setup),
        cmocka_unit_test_setup(test_as_completed_deadline_after_all, setup),
        cmocka_unit_test_setup(test_as_completed_cancelled_next, setup),
        cmocka_unit_test_setup(test_as_completed_close, setup),
        cmocka_unit_test_setup(test_as_completed_close_while_waiting, setup),
        cmocka_unit_test_setup(test_as_completed_bad_input, setup),
        cmocka_unit_test_setup(test_gather_tasks_results, setup),
        cmocka_unit_test_setup(test_gather_tasks_cancelled, setup),
        cmocka_unit_test_setup(test_gather_tasks_edges, setup),
        cmocka_unit_test_setup(test_teardown_with_waits_pending, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
