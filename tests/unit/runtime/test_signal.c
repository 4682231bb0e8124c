/*
 * test_signal.c -- async_signal_wait and async_shutdown_on_signals: a
 * task awaiting SIGUSR1 that another task raises (raise and kill), two
 * waiters woken by one delivery, a cancelled wait (mask restored at
 * once), invalid signal numbers, a waiter still pending when the run
 * ends, and the shutdown: SIGTERM sent by a task cancels every task, the
 * cleanup of each runs (one that awaits included, after the main task
 * has finished) and async_run fails with ECANCELED; a second SIGTERM
 * during that cleanup cancels again instead of killing the process.
 * The tasks each test needs are spawned by its root, in the dialect.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"

/* Events, next to an id: what happened to task `id`. */
enum { GOT = 100, CAUGHT = 200, SENT = 300, CLEANED = 400 };

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

/* Whether `signo` is blocked in this thread. */
static int blocked(int signo) {
    sigset_t m;

    pthread_sigmask(SIG_BLOCK, NULL, &m);
    return sigismember(&m, signo) == 1;
}

static async int sig_wait(int id, int signo) {
    int err;
    int s = async_try(await(async_signal_wait(signo)), &err);

    if (err != 0) {
        event(CAUGHT + id);
        async_raise(err);
    }
    event(GOT + id);
    return s;
}

static async int sig_send(int id, double delay, int signo, int use_kill) {
    await(async_sleep(delay));
    event(SENT + id);
    if (use_kill)
        kill(getpid(), signo);
    else
        raise(signo);
    return 0;
}

/* Sleeps; a failure of the sleep is caught and cleaned up after, with a
 * cleanup that awaits, then raised again. */
static async int guarded(int id, double seconds, double cleanup) {
    int err;

    async_try(await(async_sleep(seconds)), &err);
    if (err != 0) {
        event(CAUGHT + id);
        await(async_sleep(cleanup));
        event(CLEANED + id);
        async_raise(err);
    }
    return id;
}

/* Sends SIGTERM, and again during its cleanup; both cancel its sleep. */
static async int term_twice(int id) {
    int err;

    await(async_sleep(0.01));
    event(SENT + id);
    kill(getpid(), SIGTERM);
    async_try(await(async_sleep(10)), &err); /* cancelled */
    event(CAUGHT + id);
    kill(getpid(), SIGTERM);                 /* during the cleanup */
    async_try(await(async_sleep(10)), &err); /* cancelled again */
    event(CLEANED + id);
    return 0;
}

static async int sleeper(int id, double seconds) {
    event(id);
    await(async_sleep(seconds));
    event(SLEEPER_END + id);
    return id;
}

/* One waiter of SIGUSR1 and a task that raises or kills it: the signal
 * the waiter got. */
static async int wait_one(int use_kill) {
    async_task *w = async_spawn(sig_wait(1, SIGUSR1));

    assert_non_null(w);
    assert_non_null(async_spawn(sig_send(2, 0.01, SIGUSR1, use_kill)));
    return await(w);
}

/* One waiter; the signal comes from another task, by raise or kill. */
static void wait_for_signal(int use_kill) {
    assert_false(blocked(SIGUSR1));
    assert_int_equal(async_run(wait_one(use_kill)), SIGUSR1);
    assert_false(blocked(SIGUSR1));
    const int want[] = {SENT + 2, GOT + 1};
    assert_events(want, 2);
}

static void test_wait_raise(void **state) {
    (void)state;
    wait_for_signal(0);
}

static void test_wait_kill(void **state) {
    (void)state;
    wait_for_signal(1);
}

/* Two waiters of SIGUSR1, one of SIGUSR2, and a sender of SIGUSR1: the
 * signal the second waiter got. */
static async int two_waiters(void) {
    async_task *w2;

    assert_non_null(async_spawn(sig_wait(1, SIGUSR1)));
    w2 = async_spawn(sig_wait(2, SIGUSR1));
    assert_non_null(w2);
    assert_non_null(async_spawn(sig_wait(3, SIGUSR2)));
    assert_non_null(async_spawn(sig_send(4, 0.01, SIGUSR1, 1)));
    return await(w2);
}

/* One delivery wakes both waiters of SIGUSR1; the waiter of SIGUSR2 is
 * not woken (it is cancelled once the others have finished). */
static void test_two_waiters(void **state) {
    (void)state;
    assert_int_equal(async_run(two_waiters()), SIGUSR1);
    /* The waiter of SIGUSR2, still waiting when two_waiters returned,
     * was cancelled by the run, and its cleanup ran (CAUGHT + 3). */
    assert_false(blocked(SIGUSR1));
    assert_false(blocked(SIGUSR2));
    const int want[] = {SENT + 4, GOT + 1, GOT + 2, CAUGHT + 3};
    assert_events(want, 4);
}

/* Whether `signo` was blocked while the waiter waited, and once it had
 * been cancelled. */
static int blocked_while_waiting, blocked_after_cancel;

static async int canceller(int signo) {
    async_task *w = async_spawn(sig_wait(1, signo));

    assert_non_null(w);
    await(async_sleep(0.02));
    blocked_while_waiting = blocked(signo);
    async_cancel(w);
    await(async_sleep(0));
    blocked_after_cancel = blocked(signo);
    return 0;
}

/* A cancelled wait leaves the list and the mask at once. */
static void test_cancel_wait(void **state) {
    (void)state;
    assert_int_equal(async_run(canceller(SIGUSR2)), 0);
    assert_true(blocked_while_waiting);
    assert_false(blocked_after_cancel);
    assert_false(blocked(SIGUSR2));
    const int want[] = {CAUGHT + 1};
    assert_events(want, 1);
}

/* A signal the thread blocked itself stays blocked afterwards. */
static void test_blocked_before_stays_blocked(void **state) {
    sigset_t set;

    (void)state;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    assert_int_equal(async_run(wait_one(0)), SIGUSR1);
    assert_true(blocked(SIGUSR1));
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void test_invalid_signal(void **state) {
    const int bad[] = {0, -1, SIGKILL, SIGSTOP, 1000};

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        assert_int_equal(async_run(sig_wait(1, bad[i])), -1);
        assert_int_equal(errno, EINVAL);
    }
}

/* A waiter of SIGUSR2 left waiting when the root ends. */
static async int leave_waiter(void) {
    assert_non_null(async_spawn(sig_wait(1, SIGUSR2)));
    return await(sleeper(0, 0.01));
}

/* A task still waiting when the main call returns is cancelled by the
 * run, which waits for it: its wait fails and its cleanup runs; the
 * mask is restored and the next run starts clean. */
static void test_pending_waiter_cancelled(void **state) {
    (void)state;
    assert_int_equal(async_run(leave_waiter()), 0);
    const int want[] = {0, SLEEPER_END + 0, CAUGHT + 1};
    assert_events(want, 3);
    assert_false(blocked(SIGUSR2));
    /* Works again afterwards. */
    events_reset();
    wait_for_signal(0);
}

/* Two guarded tasks (the second cleans up for 20 ms), a sender of
 * SIGTERM, and the main task guarded too. */
static async int shutdown_root(void) {
    assert_non_null(async_spawn(guarded(1, 10, 0)));
    assert_non_null(async_spawn(guarded(2, 10, 0.02)));
    assert_non_null(async_spawn(sig_send(3, 0.01, SIGTERM, 1)));
    return await(guarded(0, 10, 0));
}

/* SIGTERM sent by a task cancels every task; the main one's cancellation
 * comes last, and the loop waits for the cleanup that awaits. */
static void test_shutdown(void **state) {
    double start;
    int rc;

    (void)state;
    assert_int_equal(async_shutdown_on_signals(), 0);
    assert_int_equal(async_shutdown_on_signals(), 0); /* again: no-op */
    assert_true(blocked(SIGTERM));
    assert_true(blocked(SIGINT));
    start = async_time();
    errno = 0;
    rc = async_run(shutdown_root());
    assert_int_equal(rc, -1);
    assert_int_equal(errno, ECANCELED);
    assert_true(async_time() - start < 1.0);
    assert_false(blocked(SIGTERM));
    assert_false(blocked(SIGINT));
    /* Every cleanup yields at least once (a zero sleep), so all of them
     * but the main task's end after the main task was cancelled: the run
     * waited for them. */
    const int want[] = {SENT + 3,    CAUGHT + 1,  CAUGHT + 2, CAUGHT + 0,
                        CLEANED + 1, CLEANED + 0, CLEANED + 2};
    assert_events(want, 7);
}

/* term_twice, and the main task guarded with a 10 s cleanup. */
static async int second_signal_root(void) {
    assert_non_null(async_spawn(term_twice(1)));
    return await(guarded(0, 10, 10));
}

/* A second SIGTERM while the cancelled tasks clean up (a terminal or
 * `timeout` signalling the process group) does not kill the process: it
 * cancels the unfinished tasks again. */
static void test_second_signal_cancels_again(void **state) {
    (void)state;
    assert_int_equal(async_shutdown_on_signals(), 0);
    errno = 0;
    assert_int_equal(async_run(second_signal_root()), -1);
    assert_int_equal(errno, ECANCELED);
    assert_false(blocked(SIGTERM));
    /* The main task's 10 s cleanup was cut short by the second
     * cancellation, so it never logs CLEANED. */
    const int want[] = {SENT + 1, CAUGHT + 1, CAUGHT + 0, CLEANED + 1};
    assert_events(want, 4);
}

/* Armed, but the run ends normally: nothing cancelled, disarmed after. */
static void test_shutdown_unused(void **state) {
    (void)state;
    assert_int_equal(async_shutdown_on_signals(), 0);
    assert_int_equal(async_run(sleeper(0, 0.01)), 0);
    assert_false(blocked(SIGTERM));
    assert_false(blocked(SIGINT));
    const int want[] = {0, SLEEPER_END};
    assert_events(want, 2);
}

/* A waiter of SIGTERM, a guarded task and a sender of SIGTERM: what the
 * guarded task returned. */
static async int precedence_root(void) {
    async_task *g;

    assert_non_null(async_spawn(sig_wait(1, SIGTERM)));
    g = async_spawn(guarded(2, 0.05, 0));
    assert_non_null(g);
    assert_non_null(async_spawn(sig_send(3, 0.01, SIGTERM, 1)));
    return await(g);
}

/* A task awaiting SIGTERM takes it: no shutdown.  (The tasks start once
 * the loop runs, after the shutdown is armed, as the test once spawned
 * them before arming it.) */
static void test_waiter_takes_precedence(void **state) {
    (void)state;
    assert_int_equal(async_shutdown_on_signals(), 0);
    assert_int_equal(async_run(precedence_root()), 2);
    assert_false(blocked(SIGTERM));
    const int want[] = {SENT + 3, GOT + 1};
    assert_events(want, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_wait_raise, setup),
        cmocka_unit_test_setup(test_wait_kill, setup),
        cmocka_unit_test_setup(test_two_waiters, setup),
        cmocka_unit_test_setup(test_cancel_wait, setup),
        cmocka_unit_test_setup(test_blocked_before_stays_blocked, setup),
        cmocka_unit_test_setup(test_invalid_signal, setup),
        cmocka_unit_test_setup(test_pending_waiter_cancelled, setup),
        cmocka_unit_test_setup(test_shutdown, setup),
        cmocka_unit_test_setup(test_second_signal_cancels_again, setup),
        cmocka_unit_test_setup(test_shutdown_unused, setup),
        cmocka_unit_test_setup(test_waiter_takes_precedence, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
