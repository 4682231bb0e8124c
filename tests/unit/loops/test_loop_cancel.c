/*
 * test_loop_cancel.c -- async_loop_cancel and the signals of
 * async_shutdown_on_signals over several loops: a loop cancels every
 * task of another one (its main last) and goes on itself; a plain thread
 * cancels a loop; SIGINT and SIGTERM sent to the process cancel every
 * loop of the call, whether the shutdown was armed before the call or in
 * loop 0; bad arguments.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <async.h>
#include <async/signal.h>
#include <cmocka.h>

#include "loops_test.h"

enum { SLEEPERS = 3, LOOPS = 3 };

static int started;             /* tasks that began to wait */
static int cleaned;             /* sleepers whose cleanup ran, cancelled */
static int main_saw;            /* sleepers cleaned when loop 1's main was */
static int main_failing[LOOPS]; /* async_failing() in each main's cleanup */
static int cancel_rc;

static int setup(void **state) {
    (void)state;
    store(&started, 0);
    store(&cleaned, 0);
    store(&main_saw, -1);
    store(&cancel_rc, -99);
    for (int i = 0; i < LOOPS; i++)
        store(&main_failing[i], -99);
    return 0;
}

static async void sleeper(void) {
    async_defer {
        if (async_failing() == ASYNC_ECANCELED)
            add(&cleaned, 1);
    }
    add(&started, 1);
    await(async_sleep(30));
}

/* Loop 1: three sleepers and a sleeping main; loop 0 cancels it. */
static async int cancel_other(int loop, void *arg) {
    (void)arg;

    if (loop == 1) {
        for (int i = 0; i < SLEEPERS; i++)
            async_spawn(sleeper());
        async_defer {
            store(&main_saw, load(&cleaned));
            store(&main_failing[1], async_failing());
        }
        add(&started, 1);
        await(async_sleep(30));
        return 1;
    }
    if (await(reach(&started, SLEEPERS + 1)) < 0)
        return -1;
    store(&cancel_rc, async_loop_cancel(async_loop_at(1)));
    /* Loop 0 goes on. */
    await(async_sleep(0.01));
    return 7;
}

static void test_cancel_other_loop(void **state) {
    int results[2];
    (void)state;

    assert_int_equal(async_run_loops(2, cancel_other, NULL, results), 0);
    assert_int_equal(load(&cancel_rc), 0);
    assert_int_equal(results[0], 7);
    assert_int_equal(results[1], ASYNC_ECANCELED);
    assert_int_equal(load(&cleaned), SLEEPERS);
    assert_int_equal(load(&main_failing[1]), ASYNC_ECANCELED);
    /* The main is cancelled after the others: they were woken first. */
    assert_int_equal(load(&main_saw), SLEEPERS);
}

static void *cancel_later(void *arg) {
    async_loop *loop = arg;

    usleep(20000);
    store(&cancel_rc, async_loop_cancel(loop));
    async_loop_release(loop);
    return NULL;
}

static async int cancelled_by_thread(pthread_t *thread) {
    async_loop *loop = async_loop_retain(async_loop_current());

    async_spawn(sleeper());
    if (pthread_create(thread, NULL, cancel_later, loop) != 0)
        return -2;
    async_defer { store(&main_failing[0], async_failing()); }
    await(async_sleep(30));
    return 0;
}

static void test_cancel_from_thread(void **state) {
    pthread_t thread;
    (void)state;

    errno = 0;
    assert_int_equal(async_run(cancelled_by_thread(&thread)), -1);
    assert_int_equal(errno, ECANCELED);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(load(&cancel_rc), 0);
    assert_int_equal(load(&cleaned), 1);
    assert_int_equal(load(&main_failing[0]), ASYNC_ECANCELED);
}

/* Every loop waits; loop 0 signals the process once all do (after
 * arming the shutdown itself when `arg` says so). */
static async int wait_for_signal(int loop, void *arg) {
    int *signo = arg;

    if (loop == 0 && signo[1] && async_shutdown_on_signals() != 0)
        return -1;
    async_defer { store(&main_failing[loop], async_failing()); }
    add(&started, 1);
    if (loop == 0) {
        if (await(reach(&started, LOOPS)) < 0)
            return -1;
        kill(getpid(), signo[0]);
    }
    /* Not so long that a loop the signal missed makes the test time out. */
    await(async_sleep(10));
    return 0;
}

static void check_signal(int signo, int in_loop_0) {
    int arg[2] = {signo, in_loop_0};
    int results[LOOPS];

    setup(NULL);
    if (!in_loop_0)
        assert_int_equal(async_shutdown_on_signals(), 0);
    assert_int_equal(async_run_loops(LOOPS, wait_for_signal, arg, results), 0);
    for (int i = 0; i < LOOPS; i++) {
        assert_int_equal(results[i], ASYNC_ECANCELED);
        assert_int_equal(load(&main_failing[i]), ASYNC_ECANCELED);
    }
}

static void test_signals_cancel_every_loop(void **state) {
    (void)state;

    check_signal(SIGINT, 1);
    check_signal(SIGTERM, 1);
    check_signal(SIGINT, 0);
    check_signal(SIGTERM, 0);
}

static void test_bad_arguments(void **state) {
    (void)state;

    assert_int_equal(async_loop_cancel(NULL), ASYNC_EINVAL);
}

/* An argument runs only the tests whose names match it (a glob). */
int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cancel_other_loop, setup),
        cmocka_unit_test_setup(test_cancel_from_thread, setup),
        cmocka_unit_test_setup(test_signals_cancel_every_loop, setup),
        cmocka_unit_test_setup(test_bad_arguments, setup),
    };

    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
