/*
 * test_task_waiters.c -- the table of nodes waiting for spawned tasks'
 * ends (task_waiters.c): joiners of many tasks wake in the order they
 * started waiting, whatever bucket their tasks share; a cancelled
 * joiner leaves its chain and no other node with it; the table grows
 * past its spare bucket and shrinks again; a task's list reads the same
 * through async__waiter_next while the table changes size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"

enum { MANY = 5000, JOINERS = 3 };

static async_task *targets[MANY];
static int order[MANY][JOINERS]; /* which joiner woke first, second... */
static int woke[MANY];

static int reset(void **state) {
    (void)state;
    for (int i = 0; i < MANY; i++)
        woke[i] = 0;
    return 0;
}

static async void target(void) { await(async_sleep(0.001)); }

static async void joiner(int i, int k) {
    await(targets[i]);
    order[i][woke[i]++] = k;
}

/* Every target, then joiners 0..JOINERS-1 of each, and waits until
 * every joiner waits. */
static async void spawn_all(async_task *(*j)[JOINERS]) {
    for (int i = 0; i < MANY; i++)
        targets[i] = async_spawn(target());
    for (int k = 0; k < JOINERS; k++)
        for (int i = 0; i < MANY; i++)
            j[i][k] = async_spawn(joiner(i, k));
    await(async_sleep(0));
}

/* Joiners 0..JOINERS-1 of every target, started in that order: each
 * target's list holds its joiners in order, among the nodes of other
 * targets in the same buckets. */
static async int join_many(void) {
    static async_task *j[MANY][JOINERS];

    await(spawn_all(j));
    for (int i = 0; i < MANY; i += 97) {
        int n = 0;

        for (async__waiter *w = async__waiter_next(targets[i], NULL); w != NULL;
             w = async__waiter_next(targets[i], w)) {
            assert_ptr_equal(w->of, targets[i]);
            assert_ptr_equal(((async__joiner *)w)->task, j[i][n]);
            n++;
        }
        assert_int_equal(n, JOINERS);
    }
    for (int i = 0; i < MANY; i++)
        for (int k = 0; k < JOINERS; k++)
            await(j[i][k]);
    for (int i = 0; i < MANY; i++) {
        assert_null(async__waiter_next(targets[i], NULL));
        async_task_release(targets[i]);
        for (int k = 0; k < JOINERS; k++)
            async_task_release(j[i][k]);
    }
    return 0;
}

static void test_joiners_wake_in_order(void **state) {
    (void)state;
    assert_int_equal(async_run(join_many()), 0);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(woke[i], JOINERS);
        for (int k = 0; k < JOINERS; k++)
            assert_int_equal(order[i][k], k);
    }
}

/* The middle joiner of every target is cancelled while it waits: it
 * leaves its target's list, the other two stay, in order, and wake. */
static async int cancel_middle(void) {
    static async_task *j[MANY][JOINERS];

    await(spawn_all(j));
    for (int i = 0; i < MANY; i++)
        async_cancel(j[i][1]);
    await(async_sleep(0)); /* the cancelled joiners have run */
    for (int i = 0; i < MANY; i++) {
        async__waiter *first = async__waiter_next(targets[i], NULL);
        async__waiter *second = async__waiter_next(targets[i], first);

        assert_true(async_task_done(j[i][1]));
        assert_ptr_equal(((async__joiner *)first)->task, j[i][0]);
        assert_ptr_equal(((async__joiner *)second)->task, j[i][2]);
        assert_null(async__waiter_next(targets[i], second));
    }
    for (int i = 0; i < MANY; i++) {
        await(j[i][0]);
        await(j[i][2]);
    }
    for (int i = 0; i < MANY; i++) {
        async_task_release(targets[i]);
        for (int k = 0; k < JOINERS; k++) {
            assert_int_equal(async_task_error(j[i][k]),
                             k == 1 ? ASYNC_ECANCELED : 0);
            async_task_release(j[i][k]);
        }
    }
    return 0;
}

static void test_cancelled_joiner_leaves(void **state) {
    (void)state;
    assert_int_equal(async_run(cancel_middle()), 0);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(woke[i], 2);
        assert_int_equal(order[i][0], 0);
        assert_int_equal(order[i][1], 2);
    }
}

/* A run that ends with tasks still joined forgets the table: the next
 * run starts with an empty one (under the sanitizers, nothing leaks). */
static async void forever(void) { await(async_sleep(3600)); }

static async int end_while_joined(void) {
    for (int i = 0; i < 100; i++) {
        targets[i] = async_spawn(forever());
        async_task_release(async_spawn(joiner(i, 0)));
    }
    await(async_sleep(0));
    return 7;
}

static void test_run_ends_while_joined(void **state) {
    (void)state;
    assert_int_equal(async_run(end_while_joined()), 7);
    reset(NULL);
    assert_int_equal(async_run(join_many()), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_joiners_wake_in_order, reset),
        cmocka_unit_test_setup(test_cancelled_joiner_leaves, reset),
        cmocka_unit_test_setup(test_run_ends_while_joined, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
