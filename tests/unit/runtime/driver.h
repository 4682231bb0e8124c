/*
 * driver.h -- a step-driven root frame for the runtime tests that spawn
 * a number of op tasks and check wait lists between passes of the loop
 * (test_sync.c, test_queue.c).  A test hands drive() a step hook; the
 * driver yields once per step, then joins every task recorded with
 * track().  Include "frames.h" (and so <cmocka.h>) first.
 */
#ifndef RUNTIME_TEST_DRIVER_H
#define RUNTIME_TEST_DRIVER_H

#include <string.h>

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
 * async int driver(step_fn *step) {
 *     for (int i = 0; step(i); i++)
 *         await(async_sleep(0));
 *     for (int k = 0; k < n_tasks; k++)
 *         async_try(await(tasks[k]), &err);
 *     return 0;
 * }
 */
struct driver__frame {
    int _state;
    step_fn *step;
    int i;
    int k;
    struct async_sleep__frame _a1;
    struct async_join__frame _a2;
    int _ret;
};

static inline int driver__resume(void *frame) {
    struct driver__frame *f = frame;
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
    for (f->i = 0; f->step(f->i); f->i++) {
        assert_true(f->i < 200);
        async_sleep__init(&f->_a1, 0);
        f->_state = 1;
    await1:
        if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
            goto exit;
    }
    for (f->k = 0; f->k < n_tasks; f->k++) {
        async_join__init(&f->_a2, tasks[f->k]);
        f->_state = 2;
    await2:
        if ((r = async_join__resume(&f->_a2)) != ASYNC__READY) {
            if (r == ASYNC__PENDING)
                return ASYNC__PENDING;
            (void)async__take_error();
        }
        assert_true(async_task_done(tasks[f->k]));
    }
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* Runs a test's steps and joins every task (freed when the run ends). */
static inline void drive(step_fn *step) {
    struct driver__frame f;

    memset(&f, 0, sizeof f);
    f.step = step;
    assert_int_equal(RUN(driver, &f), 0);
}

/* How many waiters wait on `l`. */
static inline int list_len(const async__wait_list *l) {
    int n = 0;

    for (const async__sync_waiter *w = l->head; w != NULL; w = w->next)
        n++;
    return n;
}

#endif /* RUNTIME_TEST_DRIVER_H */
