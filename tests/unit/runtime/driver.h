/*
 * driver.h -- for the runtime tests that spawn a number of op tasks from
 * a step-driven root and check wait lists between passes of the loop
 * (test_sync.c, test_queue.c).  A test hands drive() a step hook; the
 * driver yields once per step, then joins every task recorded with
 * track().  Include "frames.h" (and so <cmocka.h>) first.
 */
#ifndef RUNTIME_TEST_DRIVER_H
#define RUNTIME_TEST_DRIVER_H

#include "frames.h"

enum { MAX_TASKS = 16 };

/* The tasks spawned so far, in order; a test's setup empties the list by
 * setting n_tasks to 0. */
static async_task *tasks[MAX_TASKS];
static int n_tasks;

/* Records the freshly spawned task `t` as the next task; returns it. */
static inline async_task *track(async_task *t) {
    assert_non_null(t);
    assert_true(n_tasks < MAX_TASKS);
    tasks[n_tasks++] = t;
    return t;
}

/* A test's step hook: called with 0, 1, 2... once per pass; returns 0
 * when the test needs no more steps. */
typedef int step_fn(int step);

/*
 * The root, which each file including this header defines in the dialect
 * (asyncc transpiles the async functions of the file it is given, not
 * those of its headers), with drive(), which runs it:
 *
 *     static async int driver(step_fn *step) {
 *         int err;
 *
 *         for (int i = 0; step(i); i++) {
 *             assert_true(i < 200);
 *             await(async_sleep(0));
 *         }
 *         for (int k = 0; k < n_tasks; k++) {
 *             async_try(await(tasks[k]), &err);
 *             assert_true(async_task_done(tasks[k]));
 *         }
 *         return 0;
 *     }
 *
 *     static void drive(step_fn *step) {
 *         assert_int_equal(async_run(driver(step)), 0);
 *     }
 */

/* How many waiters wait on `l`. */
static inline int list_len(const async__wait_list *l) {
    int n = 0;

    for (const async__sync_waiter *w = l->head; w != NULL;
         w = async__wait_next(w))
        n++;
    return n;
}

#endif /* RUNTIME_TEST_DRIVER_H */
