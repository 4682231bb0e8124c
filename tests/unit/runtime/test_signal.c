/*
 * test_signal.c -- async_signal_wait and async_shutdown_on_signals: a
 * task awaiting SIGUSR1 that another task raises (raise and kill), two
 * waiters woken by one delivery, a cancelled wait (mask restored at
 * once), invalid signal numbers, a waiter still pending when the run
 * ends, and the shutdown: SIGTERM sent by a task cancels every task, the
 * cleanup of each runs (one that awaits included, after the main task
 * has finished) and async__run returns ASYNC_ECANCELED; a second SIGTERM
 * during that cleanup cancels again instead of killing the process.
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

#define FRAMES_HAND_WRITTEN

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

/*
 * async int sig_wait(int id, int signo) {
 *     int err;
 *     int s = async_try(await(async_signal_wait(signo)), &err);
 *     if (err != 0) {
 *         event(CAUGHT + id);
 *         async_raise(err);
 *     }
 *     event(GOT + id);
 *     return s;
 * }
 */
struct sig_wait__frame {
    int _state;
    int id;
    int signo;
    struct async_signal_wait__frame _a1;
    int _ret;
};

static void sig_wait__init(struct sig_wait__frame *f, int id, int signo) {
    f->_state = 0;
    f->id = id;
    f->signo = signo;
    f->_ret = 0;
}

static int sig_wait__resume(void *frame) {
    struct sig_wait__frame *f = frame;
    int r, err;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    async_signal_wait__init(&f->_a1, f->signo);
    f->_state = 1;
await1:
    if ((r = async_signal_wait__resume(&f->_a1)) == ASYNC__PENDING)
        return r;
    if (r == ASYNC__FAILED) {
        err = async__take_error();
        event(CAUGHT + f->id);
        f->_state = -1;
        return async__raise(err);
    }
    event(GOT + f->id);
    f->_ret = f->_a1._ret;
    f->_state = -1;
    return ASYNC__READY;
}

/*
 * async int sig_send(int id, double delay, int signo, int use_kill) {
 *     await(async_sleep(delay));
 *     event(SENT + id);
 *     if (use_kill)
 *         kill(getpid(), signo);
 *     else
 *         raise(signo);
 *     return 0;
 * }
 */
struct sig_send__frame {
    int _state;
    int id;
    double delay;
    int signo;
    int use_kill;
    struct async_sleep__frame _a1;
    int _ret;
};

static void sig_send__init(struct sig_send__frame *f, int id, double delay,
                           int signo, int use_kill) {
    f->_state = 0;
    f->id = id;
    f->delay = delay;
    f->signo = signo;
    f->use_kill = use_kill;
    f->_ret = 0;
}

static int sig_send__resume(void *frame) {
    struct sig_send__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    async_sleep__init(&f->_a1, f->delay);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY) {
        if (r == ASYNC__FAILED)
            f->_state = -1;
        return r;
    }
    event(SENT + f->id);
    if (f->use_kill)
        kill(getpid(), f->signo);
    else
        raise(f->signo);
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

/*
 * async int guarded(int id, double seconds, double cleanup) {
 *     int err;
 *     async_try(await(async_sleep(seconds)), &err);
 *     if (err != 0) {
 *         event(CAUGHT + id);
 *         await(async_sleep(cleanup));   -- cleanup that awaits
 *         event(CLEANED + id);
 *         async_raise(err);
 *     }
 *     return id;
 * }
 */
struct guarded__frame {
    int _state;
    int id;
    double seconds;
    double cleanup;
    int err;
    struct async_sleep__frame _a1;
    struct async_sleep__frame _a2;
    int _ret;
};

static void guarded__init(struct guarded__frame *f, int id, double seconds,
                          double cleanup) {
    f->_state = 0;
    f->id = id;
    f->seconds = seconds;
    f->cleanup = cleanup;
    f->err = 0;
    f->_ret = 0;
}

static int guarded__resume(void *frame) {
    struct guarded__frame *f = frame;
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
    async_sleep__init(&f->_a1, f->seconds);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_a1)) == ASYNC__PENDING)
        return r;
    f->err = r == ASYNC__FAILED ? async__take_error() : 0;
    if (f->err != 0) {
        event(CAUGHT + f->id);
        async_sleep__init(&f->_a2, f->cleanup);
        f->_state = 2;
    await2:
        if ((r = async_sleep__resume(&f->_a2)) != ASYNC__READY) {
            if (r == ASYNC__FAILED)
                f->_state = -1;
            return r;
        }
        event(CLEANED + f->id);
        f->_state = -1;
        return async__raise(f->err);
    }
    f->_ret = f->id;
    f->_state = -1;
    return ASYNC__READY;
}

/*
 * async int canceller(async_task *t, int signo) {
 *     await(async_sleep(0.02));
 *     blocked_while_waiting = blocked(signo);
 *     async_cancel(t);
 *     await(async_sleep(0));
 *     blocked_after_cancel = blocked(signo);
 *     return 0;
 * }
 */
static int blocked_while_waiting, blocked_after_cancel;

struct canceller__frame {
    int _state;
    async_task *t;
    int signo;
    struct async_sleep__frame _a1;
    int _ret;
};

static void canceller__init(struct canceller__frame *f, async_task *t,
                            int signo) {
    f->_state = 0;
    f->t = t;
    f->signo = signo;
    f->_ret = 0;
}

static int canceller__resume(void *frame) {
    struct canceller__frame *f = frame;
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
    async_sleep__init(&f->_a1, 0.02);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    blocked_while_waiting = blocked(f->signo);
    async_cancel(f->t);
    async_sleep__init(&f->_a1, 0);
    f->_state = 2;
await2:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    blocked_after_cancel = blocked(f->signo);
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/*
 * async int term_twice(int id) {
 *     int err;
 *     await(async_sleep(0.01));
 *     event(SENT + id);
 *     kill(getpid(), SIGTERM);
 *     async_try(await(async_sleep(10)), &err);   -- cancelled
 *     event(CAUGHT + id);
 *     kill(getpid(), SIGTERM);                   -- during the cleanup
 *     async_try(await(async_sleep(10)), &err);   -- cancelled again
 *     event(CLEANED + id);
 *     return 0;
 * }
 */
struct term_twice__frame {
    int _state;
    int id;
    struct async_sleep__frame _a1;
    int _ret;
};

static void term_twice__init(struct term_twice__frame *f, int id) {
    f->_state = 0;
    f->id = id;
    f->_ret = 0;
}

static int term_twice__resume(void *frame) {
    struct term_twice__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        async_sleep__init(&f->_a1, 0.01);
        f->_state = 1;
        /* fall through */
    case 1:
        if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
            break;
        event(SENT + f->id);
        kill(getpid(), SIGTERM);
        async_sleep__init(&f->_a1, 10);
        f->_state = 2;
        /* fall through */
    case 2:
        if ((r = async_sleep__resume(&f->_a1)) == ASYNC__PENDING)
            return r;
        (void)async__take_error();
        event(CAUGHT + f->id);
        kill(getpid(), SIGTERM);
        async_sleep__init(&f->_a1, 10);
        f->_state = 3;
        /* fall through */
    case 3:
        if ((r = async_sleep__resume(&f->_a1)) == ASYNC__PENDING)
            return r;
        (void)async__take_error();
        event(CLEANED + f->id);
        f->_state = -1;
        return ASYNC__READY;
    default:
        return ASYNC__READY;
    }
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

DEFINE_SPAWN_INT(sig_wait, (int id, int signo),
                 ((struct sig_wait__frame *)async__task_frame(t), id, signo))
DEFINE_SPAWN_INT(sig_send, (int id, double delay, int signo, int use_kill),
                 ((struct sig_send__frame *)async__task_frame(t), id, delay,
                  signo, use_kill))
DEFINE_SPAWN_INT(guarded, (int id, double seconds, double cleanup),
                 ((struct guarded__frame *)async__task_frame(t), id, seconds,
                  cleanup))
DEFINE_SPAWN_INT(term_twice, (int id),
                 ((struct term_twice__frame *)async__task_frame(t), id))

/* One waiter; the signal comes from another task, by raise or kill. */
static void wait_for_signal(int use_kill) {
    struct async_join__frame root;
    async_task *w = spawn_sig_wait(1, SIGUSR1);
    async_task *s = spawn_sig_send(2, 0.01, SIGUSR1, use_kill);

    assert_non_null(w);
    assert_non_null(s);
    assert_false(blocked(SIGUSR1));
    async_join__init(&root, w);
    assert_int_equal(RUN(async_join, &root), 0);
    assert_int_equal(root._ret, SIGUSR1);
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

/* One delivery wakes both waiters of SIGUSR1; the waiter of SIGUSR2 is
 * not woken (it is cancelled once the others have finished). */
static void test_two_waiters(void **state) {
    struct async_join__frame root;
    async_task *w1 = spawn_sig_wait(1, SIGUSR1);
    async_task *w2 = spawn_sig_wait(2, SIGUSR1);
    async_task *other = spawn_sig_wait(3, SIGUSR2);
    async_task *s = spawn_sig_send(4, 0.01, SIGUSR1, 1);

    (void)state;
    assert_non_null(w1);
    assert_non_null(w2);
    assert_non_null(other);
    assert_non_null(s);
    async_join__init(&root, w2);
    assert_int_equal(RUN(async_join, &root), 0);
    assert_int_equal(root._ret, SIGUSR1);
    /* Tasks are freed when the run returns: the log tells the rest. */
    assert_false(blocked(SIGUSR1));
    assert_false(blocked(SIGUSR2));
    const int want[] = {SENT + 4, GOT + 1, GOT + 2};
    assert_events(want, 3);
}

/* A cancelled wait leaves the list and the mask at once. */
static void test_cancel_wait(void **state) {
    struct canceller__frame root;
    async_task *w = spawn_sig_wait(1, SIGUSR2);

    (void)state;
    assert_non_null(w);
    canceller__init(&root, w, SIGUSR2);
    assert_int_equal(RUN(canceller, &root), 0);
    assert_true(blocked_while_waiting);
    assert_false(blocked_after_cancel);
    assert_false(blocked(SIGUSR2));
    const int want[] = {CAUGHT + 1};
    assert_events(want, 1);
}

/* A signal the thread blocked itself stays blocked afterwards. */
static void test_blocked_before_stays_blocked(void **state) {
    struct async_join__frame root;
    sigset_t set;
    async_task *w = spawn_sig_wait(1, SIGUSR1);
    async_task *s = spawn_sig_send(2, 0.01, SIGUSR1, 0);

    (void)state;
    assert_non_null(w);
    assert_non_null(s);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    async_join__init(&root, w);
    assert_int_equal(RUN(async_join, &root), 0);
    assert_int_equal(root._ret, SIGUSR1);
    assert_true(blocked(SIGUSR1));
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void test_invalid_signal(void **state) {
    const int bad[] = {0, -1, SIGKILL, SIGSTOP, 1000};

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sig_wait__frame root;

        sig_wait__init(&root, 1, bad[i]);
        assert_int_equal(RUN(sig_wait, &root), ASYNC_EINVAL);
        assert_int_equal(errno, EINVAL);
    }
}

/* A task still waiting when the run ends is destroyed with it: the mask
 * is restored and the next run starts clean. */
static void test_pending_waiter_destroyed(void **state) {
    struct sleeper__frame root;
    async_task *w = spawn_sig_wait(1, SIGUSR2);

    (void)state;
    assert_non_null(w);
    sleeper__init(&root, 0, 0.01);
    assert_int_equal(RUN(sleeper, &root), 0);
    assert_false(blocked(SIGUSR2));
    /* Works again afterwards. */
    events_reset();
    wait_for_signal(0);
}

/* SIGTERM sent by a task cancels every task; the main one's cancellation
 * comes last, and the loop waits for the cleanup that awaits. */
static void test_shutdown(void **state) {
    struct guarded__frame root;
    double start;
    int rc;

    (void)state;
    assert_int_equal(async_shutdown_on_signals(), 0);
    assert_int_equal(async_shutdown_on_signals(), 0); /* again: no-op */
    assert_true(blocked(SIGTERM));
    assert_true(blocked(SIGINT));
    assert_non_null(spawn_guarded(1, 10, 0));
    assert_non_null(spawn_guarded(2, 10, 0.02));
    assert_non_null(spawn_sig_send(3, 0.01, SIGTERM, 1));
    guarded__init(&root, 0, 10, 0);
    start = async_time();
    errno = 0;
    rc = RUN(guarded, &root);
    assert_int_equal(rc, ASYNC_ECANCELED);
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

/* A second SIGTERM while the cancelled tasks clean up (a terminal or
 * `timeout` signalling the process group) does not kill the process: it
 * cancels the unfinished tasks again. */
static void test_second_signal_cancels_again(void **state) {
    struct guarded__frame root;

    (void)state;
    assert_int_equal(async_shutdown_on_signals(), 0);
    assert_non_null(spawn_term_twice(1));
    guarded__init(&root, 0, 10, 10); /* its cleanup waits 10 s */
    assert_int_equal(RUN(guarded, &root), ASYNC_ECANCELED);
    assert_false(blocked(SIGTERM));
    /* The main task's 10 s cleanup was cut short by the second
     * cancellation, so it never logs CLEANED. */
    const int want[] = {SENT + 1, CAUGHT + 1, CAUGHT + 0, CLEANED + 1};
    assert_events(want, 4);
}

/* Armed, but the run ends normally: nothing cancelled, disarmed after. */
static void test_shutdown_unused(void **state) {
    struct sleeper__frame root;

    (void)state;
    assert_int_equal(async_shutdown_on_signals(), 0);
    sleeper__init(&root, 0, 0.01);
    assert_int_equal(RUN(sleeper, &root), 0);
    assert_false(blocked(SIGTERM));
    assert_false(blocked(SIGINT));
    const int want[] = {0, SLEEPER_END};
    assert_events(want, 2);
}

/* A task awaiting SIGTERM takes it: no shutdown. */
static void test_waiter_takes_precedence(void **state) {
    struct async_join__frame root;
    async_task *w = spawn_sig_wait(1, SIGTERM);
    async_task *g = spawn_guarded(2, 0.05, 0);

    (void)state;
    assert_non_null(w);
    assert_non_null(spawn_sig_send(3, 0.01, SIGTERM, 1));
    assert_int_equal(async_shutdown_on_signals(), 0);
    async_join__init(&root, g);
    assert_int_equal(RUN(async_join, &root), 0);
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
        cmocka_unit_test_setup(test_pending_waiter_destroyed, setup),
        cmocka_unit_test_setup(test_shutdown, setup),
        cmocka_unit_test_setup(test_second_signal_cancels_again, setup),
        cmocka_unit_test_setup(test_shutdown_unused, setup),
        cmocka_unit_test_setup(test_waiter_takes_precedence, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
