/*
 * test_run_loops.c -- async_run_loops: every loop gets its index and the
 * caller's argument, sees the count and every loop of the call from its
 * first step, runs in a thread of its own (loop 0 in the caller's);
 * results[] per loop, a failing loop leaving the others alone; n <= 0
 * as one loop per CPU; the pinning of loop threads; bad arguments;
 * -EBUSY from a running loop; no deadlock reported while another loop
 * may still wake a loop, and one reported once none can.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loops_test.h"

enum { MAX_LOOPS = 1024, AT = 8 };

/* What each loop saw at its first step (each writes its own slot; the
 * test reads them once async_run_loops has returned). */
struct seen {
    int ran, index, count;
    void *arg;
    async_loop *current;
    async_loop *at[AT];
    async_loop *beyond, *below;
    pthread_t thread;
    cpu_set_t cpus;
};

static struct seen seen[MAX_LOOPS];
static int mains_run;          /* mains that started, all loops */
static int failed_flag;        /* loop 1 of test_failure_isolated failed */
static int busy_rc[2];         /* async_run_loops inside a loop */
static async_event wake[2];    /* loop i's event, set by a post */
static cpu_set_t process_cpus; /* the test's mask at its start */
static int wound_down;         /* sleepers cancelled at their run's end */
static int outside[4];         /* what a plain thread saw meanwhile */
static int token;              /* the argument passed to every loop */

static int setup(void **state) {
    (void)state;
    memset(seen, 0, sizeof(seen));
    store(&mains_run, 0);
    store(&failed_flag, 0);
    store(&wound_down, 0);
    memset(outside, 0, sizeof(outside));
    busy_rc[0] = busy_rc[1] = 0;
    async_event_init(&wake[0]);
    async_event_init(&wake[1]);
    /* A loop that pinned this thread and left it pinned must not change
     * the next test's CPUs (test_pin_leaves_caller says whether it
     * does). */
    sched_setaffinity(0, sizeof(process_cpus), &process_cpus);
    return 0;
}

/* Records what the loop sees before its first await. */
static void note(int loop, void *arg) {
    struct seen *s;

    add(&mains_run, 1);
    if (loop < 0 || loop >= MAX_LOOPS)
        return;
    s = &seen[loop];
    s->ran++;
    s->arg = arg;
    s->index = async_loop_index();
    s->count = async_loop_count();
    s->current = async_loop_current();
    for (int j = 0; j < AT; j++)
        s->at[j] = async_loop_at(j);
    s->beyond = async_loop_at(s->count);
    s->below = async_loop_at(-1);
    s->thread = pthread_self();
    sched_getaffinity(0, sizeof(s->cpus), &s->cpus);
}

static async int record(int loop, void *arg) {
    note(loop, arg);
    await(async_sleep(0.001));
    return 10 + loop;
}

static void test_indices_and_handles(void **state) {
    int results[4] = {-99, -99, -99, -99};
    (void)state;

    assert_int_equal(async_run_loops(3, record, &token, results), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(seen[i].ran, 1);
        assert_int_equal(seen[i].index, i);
        assert_int_equal(seen[i].count, 3);
        assert_ptr_equal(seen[i].arg, &token);
        assert_non_null(seen[i].current);
        assert_ptr_equal(seen[i].current, seen[i].at[i]);
        for (int j = 0; j < 3; j++) {
            assert_non_null(seen[i].at[j]);
            assert_ptr_equal(seen[i].at[j], seen[0].at[j]);
        }
        for (int j = 3; j < AT; j++)
            assert_null(seen[i].at[j]);
        assert_null(seen[i].beyond);
        assert_null(seen[i].below);
        assert_int_equal(results[i], 10 + i);
    }
    assert_int_equal(results[3], -99); /* n ints, no more */
    assert_ptr_not_equal(seen[0].at[0], seen[0].at[1]);
    assert_ptr_not_equal(seen[0].at[1], seen[0].at[2]);
    assert_ptr_not_equal(seen[0].at[0], seen[0].at[2]);
    /* Loop 0 in the caller's thread, the others in threads of their own. */
    assert_true(pthread_equal(seen[0].thread, pthread_self()));
    assert_false(pthread_equal(seen[1].thread, pthread_self()));
    assert_false(pthread_equal(seen[2].thread, pthread_self()));
    assert_false(pthread_equal(seen[1].thread, seen[2].thread));
    /* No loop runs in this thread any more. */
    assert_null(async_loop_current());
    assert_int_equal(async_loop_index(), -1);
    assert_int_equal(async_loop_count(), 0);
    assert_null(async_loop_at(0));
}

static void test_results_may_be_null(void **state) {
    (void)state;

    assert_int_equal(async_run_loops(2, record, NULL, NULL), 0);
    assert_int_equal(load(&mains_run), 2);
    assert_int_equal(seen[1].index, 1);
}

static async int plain_main(void) {
    note(0, NULL);
    return 0;
}

static void test_plain_run_is_one_loop(void **state) {
    (void)state;

    assert_int_equal(async_run(plain_main()), 0);
    assert_int_equal(seen[0].index, 0);
    assert_int_equal(seen[0].count, 1);
    assert_non_null(seen[0].current);
    assert_null(async_loop_current());
}

/* Loop 1 fails; the others wait until it has, then finish normally. */
static async int one_fails(int loop, void *arg) {
    (void)arg;
    note(loop, NULL);
    if (loop == 1) {
        await(async_sleep(0.001));
        store(&failed_flag, 1);
        async_raise(-EIO);
    }
    if (await(reach(&failed_flag, 1)) < 0)
        return -1;
    await(async_sleep(0.01));
    return 100 + loop;
}

static void test_failure_isolated(void **state) {
    int results[3];
    (void)state;

    assert_int_equal(async_run_loops(3, one_fails, NULL, results), 0);
    assert_int_equal(results[0], 100);
    assert_int_equal(results[1], -EIO);
    assert_int_equal(results[2], 102);
}

static async int counted(int loop, void *arg) {
    note(loop, arg);
    return loop;
}

static void test_default_is_one_per_cpu(void **state) {
    static int results[MAX_LOOPS + 1];
    int cpus = CPU_COUNT(&process_cpus);
    (void)state;

    assert_int_equal(async_loop_cpus(), cpus);
    for (int n = 0; n >= -5; n -= 5) {
        store(&mains_run, 0);
        results[cpus] = -99;
        assert_int_equal(async_run_loops(n, counted, NULL, results), 0);
        assert_int_equal(load(&mains_run), cpus);
        for (int i = 0; i < cpus; i++) {
            assert_int_equal(seen[i].count, cpus);
            assert_int_equal(results[i], i);
        }
        assert_int_equal(results[cpus], -99);
    }
}

static void test_bad_arguments(void **state) {
    int results[2] = {-99, -99};
    (void)state;

    assert_int_equal(async_run_loops(2, NULL, NULL, results), ASYNC_EINVAL);
    assert_int_equal(async_run_loops(1025, counted, NULL, results),
                     ASYNC_EINVAL);
    assert_int_equal(async_run_loops(1025, counted, NULL, NULL), ASYNC_EINVAL);
    assert_int_equal(load(&mains_run), 0);
    assert_null(async_loop_current());
}

/* Runs async_run_loops from inside a running loop. */
static async int nested(int loop, void *arg) {
    (void)arg;
    busy_rc[loop] = async_run_loops(2, counted, NULL, NULL);
    return 0;
}

static async int plain_nested(void) {
    return async_run_loops(2, counted, NULL, NULL);
}

static void test_busy_inside_a_loop(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run(plain_nested()), -EBUSY);
    assert_int_equal(async_run_loops(2, nested, NULL, results), 0);
    assert_int_equal(busy_rc[0], -EBUSY);
    assert_int_equal(busy_rc[1], -EBUSY);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], 0);
    assert_int_equal(load(&mains_run), 0);
}

/* Loop 1 waits for an event that only loop 0 sets, through a post, a
 * while later: loop 1 has nothing else to do meanwhile. */
static async int woken_later(int loop, void *arg) {
    (void)arg;
    if (loop == 1) {
        await(async_event_wait(&wake[1]));
        return 1;
    }
    await(async_sleep(0.1));
    return async_loop_post(async_loop_at(1), set_event, &wake[1]);
}

static void test_no_deadlock_while_others_run(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run_loops(2, woken_later, NULL, results), 0);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], 1);
}

/* Loop 1 waits for an event nothing will set; loop 0 ends at once. */
static async int stuck_alone(int loop, void *arg) {
    (void)arg;
    if (loop == 1) {
        await(async_event_wait(&wake[1]));
        return 1;
    }
    return 0;
}

static void test_deadlock_once_alone(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run_loops(2, stuck_alone, NULL, results), 0);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], -EDEADLK);
}

/* The index of the i-th CPU of the test's mask. */
static int nth_cpu(int i) {
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &process_cpus) && i-- == 0)
            return c;
    return -1;
}

static void test_pinned_one_cpu_each(void **state) {
    int cpus = CPU_COUNT(&process_cpus);
    int n = cpus < 2 ? cpus : 2;
    (void)state;

    assert_int_equal(async_run_loops(n, record, NULL, NULL), 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(CPU_COUNT(&seen[i].cpus), 1);
        assert_true(CPU_ISSET(nth_cpu(i), &seen[i].cpus));
    }
}

static void test_pin_leaves_caller(void **state) {
    int cpus = CPU_COUNT(&process_cpus);
    cpu_set_t after;
    (void)state;

    assert_int_equal(async_run_loops(cpus < 2 ? cpus : 2, record, NULL, NULL),
                     0);
    /* The caller's thread may run on the process's CPUs again, and
     * async_loop_cpus still counts them all. */
    assert_int_equal(sched_getaffinity(0, sizeof(after), &after), 0);
    assert_true(CPU_EQUAL(&after, &process_cpus));
    assert_int_equal(async_loop_cpus(), cpus);
}

static void test_not_pinned(void **state) {
    int cpus = CPU_COUNT(&process_cpus);
    int n = cpus < 2 ? cpus : 2;
    (void)state;

    /* More loops than CPUs: none pinned. */
    assert_int_equal(async_run_loops(cpus + 1, record, NULL, NULL), 0);
    for (int i = 0; i <= cpus; i++)
        assert_true(CPU_EQUAL(&seen[i].cpus, &process_cpus));
    /* ASYNCRT_NO_PIN=1: none pinned either. */
    memset(seen, 0, sizeof(seen));
    setenv("ASYNCRT_NO_PIN", "1", 1);
    assert_int_equal(async_run_loops(n, record, NULL, NULL), 0);
    unsetenv("ASYNCRT_NO_PIN");
    for (int i = 0; i < n; i++)
        assert_true(CPU_EQUAL(&seen[i].cpus, &process_cpus));
}

/* Sleeps 30 s unless cancelled. */
static async void sleeper(void) {
    async_defer {
        if (async_failing() == ASYNC_ECANCELED)
            add(&wound_down, 1);
    }
    await(async_sleep(30));
}

/* Each loop leaves a sleeper behind; loop 1 ends first, loop 0 last. */
static async int leave_sleepers(int loop, void *arg) {
    (void)arg;
    async_spawn(sleeper());
    await(async_sleep(0));
    if (loop == 0 && await(reach(&wound_down, 1)) < 0)
        return -1;
    return loop;
}

static void test_each_loop_winds_down(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run_loops(2, leave_sleepers, NULL, results), 0);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], 1);
    assert_int_equal(load(&wound_down), 2);
}

/* A plain thread started by loop 0 runs no loop, whatever runs meanwhile. */
static void *look(void *arg) {
    (void)arg;
    outside[0] = async_loop_index();
    outside[1] = async_loop_count();
    outside[2] = async_loop_current() == NULL;
    outside[3] = async_loop_at(0) == NULL;
    return NULL;
}

static async int look_from_thread(int loop, void *arg) {
    pthread_t t;
    (void)arg;

    if (loop == 0) {
        if (pthread_create(&t, NULL, look, NULL) != 0)
            return -1;
        pthread_join(t, NULL);
    }
    return 0;
}

static void test_plain_thread_runs_no_loop(void **state) {
    (void)state;

    assert_int_equal(async_run_loops(2, look_from_thread, NULL, NULL), 0);
    assert_int_equal(outside[0], -1);
    assert_int_equal(outside[1], 0);
    assert_int_equal(outside[2], 1);
    assert_int_equal(outside[3], 1);
}

/* An argument runs only the tests whose names match it (a glob). */
int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_indices_and_handles, setup),
        cmocka_unit_test_setup(test_results_may_be_null, setup),
        cmocka_unit_test_setup(test_plain_run_is_one_loop, setup),
        cmocka_unit_test_setup(test_failure_isolated, setup),
        cmocka_unit_test_setup(test_each_loop_winds_down, setup),
        cmocka_unit_test_setup(test_plain_thread_runs_no_loop, setup),
        cmocka_unit_test_setup(test_default_is_one_per_cpu, setup),
        cmocka_unit_test_setup(test_bad_arguments, setup),
        cmocka_unit_test_setup(test_busy_inside_a_loop, setup),
        cmocka_unit_test_setup(test_no_deadlock_while_others_run, setup),
        cmocka_unit_test_setup(test_deadlock_once_alone, setup),
        cmocka_unit_test_setup(test_pinned_one_cpu_each, setup),
        cmocka_unit_test_setup(test_pin_leaves_caller, setup),
        cmocka_unit_test_setup(test_not_pinned, setup),
    };

    sched_getaffinity(0, sizeof(process_cpus), &process_cpus);
    unsetenv("ASYNCRT_NO_PIN");
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
