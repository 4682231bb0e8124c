/*
 * test_cancel.c -- errors and cancellation: failures propagate up the
 * chain of frames and to joiners, async_try catches them, async_run
 * returns the root's code; async_cancel stops sleeps, joins and gathers
 * (a gather waits for its cancelled children); the first failing child
 * fails a gather; bad input; async_strerror.
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

/* More events, next to frames.h's id and SLEEPER_END + id. */
enum { CAUGHT = 200, JOINED = 300, GATHERED = 400 };

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

/*
 * async int stubborn(int id, double seconds, double after) {
 *     int err;
 *     event(id);
 *     async_try(await(async_sleep(seconds)), &err);
 *     event(CAUGHT + id);
 *     await(async_sleep(after));
 *     event(SLEEPER_END + id);
 *     return err;
 * }
 */
struct stubborn__frame {
    int _state;
    int id;
    double seconds;
    double after;
    int err;
    struct async_sleep__frame _a1;
    struct async_sleep__frame _a2;
    int _ret;
};

static void stubborn__init(struct stubborn__frame *f, int id, double seconds,
                           double after) {
    f->_state = 0;
    f->id = id;
    f->seconds = seconds;
    f->after = after;
}

static int stubborn__resume(void *frame) {
    struct stubborn__frame *f = frame;
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
    event(f->id);
    f->err = 0;
    async_sleep__init(&f->_a1, f->seconds);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY) {
        if (r == ASYNC__PENDING)
            return ASYNC__PENDING;
        f->err = async__take_error();
    }
    event(CAUGHT + f->id);
    async_sleep__init(&f->_a2, f->after);
    f->_state = 2;
await2:
    if ((r = async_sleep__resume(&f->_a2)) != ASYNC__READY)
        goto exit;
    event(SLEEPER_END + f->id);
    f->_ret = f->err;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/*
 * async int parent(int code) {
 *     event(10);
 *     int v = await(failer(1, 0, code));
 *     event(11);
 *     return v + 1;
 * }
 */
struct parent__frame {
    int _state;
    int code;
    int v;
    struct failer__frame _a1;
    int _ret;
};

static void parent__init(struct parent__frame *f, int code) {
    f->_state = 0;
    f->code = code;
}

static int parent__resume(void *frame) {
    struct parent__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    event(10);
    failer__init(&f->_a1, 1, 0, f->code);
    f->_state = 1;
await1:
    if ((r = failer__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    f->v = f->_a1._ret;
    event(11);
    f->_ret = f->v + 1;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/*
 * async int catcher(int code) {
 *     int err;
 *     int v = async_try(await(parent(code)), &err);
 *     event(12);
 *     return v;
 * }
 * The frame also records the task's error right after the catch.
 */
struct catcher__frame {
    int _state;
    int code;
    int err;
    int v;
    int error_after;
    struct parent__frame _a1;
    int _ret;
};

static void catcher__init(struct catcher__frame *f, int code) {
    f->_state = 0;
    f->code = code;
}

static int catcher__resume(void *frame) {
    struct catcher__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    f->err = 0;
    parent__init(&f->_a1, f->code);
    f->_state = 1;
await1:
    if ((r = parent__resume(&f->_a1)) != ASYNC__READY) {
        if (r == ASYNC__PENDING)
            return ASYNC__PENDING;
        f->err = async__take_error();
        memset(&f->_a1._ret, 0, sizeof f->_a1._ret);
    }
    f->v = f->_a1._ret;
    f->error_after = async__current()->error;
    event(12);
    f->_ret = f->v;
    f->_state = -1;
    return ASYNC__READY;
}

/*
 * async int joiner(int id, async_task *target) {
 *     event(id);
 *     int v = await(target);
 *     event(SLEEPER_END + id);
 *     return v;
 * }
 */
struct joiner__frame {
    int _state;
    int id;
    async_task *target;
    struct async_join__frame _a1;
    int _ret;
};

static void joiner__init(struct joiner__frame *f, int id, async_task *target) {
    f->_state = 0;
    f->id = id;
    f->target = target;
}

static int joiner__resume(void *frame) {
    struct joiner__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    event(f->id);
    async_join__init(&f->_a1, f->target);
    f->_state = 1;
await1:
    if ((r = async_join__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    event(SLEEPER_END + f->id);
    f->_ret = f->_a1._ret;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/*
 * async int gatherer(double a, int acode, double b, int bcode, double c,
 *                    double cafter) {
 *     await(async_gather(failer(1, a, acode), failer(2, b, bcode),
 *                        stubborn(3, c, cafter)));
 *     event(GATHERED);
 *     return 0;
 * }
 */
struct gatherer__frame {
    int _state;
    double a, b, c, cafter;
    int acode, bcode;
    async__gather _g;
    async__child _t[3];
    struct failer__frame _c0;
    struct failer__frame _c1;
    struct stubborn__frame _c2;
    int _ret;
};

static void gatherer__init(struct gatherer__frame *f, double a, int acode,
                           double b, int bcode, double c, double cafter) {
    f->_state = 0;
    f->a = a;
    f->acode = acode;
    f->b = b;
    f->bcode = bcode;
    f->c = c;
    f->cafter = cafter;
}

static int gatherer__resume(void *frame) {
    struct gatherer__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    async__gather_init(&f->_g);
    failer__init(&f->_c0, 1, f->a, f->acode);
    async__gather_add(&f->_g, &f->_t[0], failer__resume, &f->_c0, "failer");
    failer__init(&f->_c1, 2, f->b, f->bcode);
    async__gather_add(&f->_g, &f->_t[1], failer__resume, &f->_c1, "failer");
    stubborn__init(&f->_c2, 3, f->c, f->cafter);
    async__gather_add(&f->_g, &f->_t[2], stubborn__resume, &f->_c2, "stubborn");
    f->_state = 1;
await1:
    if ((r = async__gather_poll(&f->_g)) != ASYNC__READY)
        goto exit;
    event(GATHERED);
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/*
 * async int self_cancel(double seconds) {
 *     event(1);
 *     async_cancel(<this task>);     (twice; both return 1)
 *     await(async_sleep(seconds));
 *     event(2);
 *     return 0;
 * }
 */
struct self_cancel__frame {
    int _state;
    double seconds;
    int cancel_rc[2];
    struct async_sleep__frame _a1;
    int _ret;
};

static int self_cancel__resume(void *frame) {
    struct self_cancel__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    event(1);
    f->cancel_rc[0] = async_cancel(async__current());
    f->cancel_rc[1] = async_cancel(async__current());
    async_sleep__init(&f->_a1, f->seconds);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    event(2);
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* Not generated code: fails without storing a code. */
struct bogus__frame {
    int _state;
    int _ret;
};

static int bogus__resume(void *frame) {
    struct bogus__frame *f = frame;

    f->_state = -1;
    return ASYNC__FAILED;
}

DEFINE_SPAWN_INT(stubborn, (int id, double seconds, double after),
                 ((struct stubborn__frame *)async__task_frame(t), id, seconds,
                  after))
DEFINE_SPAWN_INT(joiner, (int id, async_task *target),
                 ((struct joiner__frame *)async__task_frame(t), id, target))
DEFINE_SPAWN_INT(gatherer,
                 (double a, int acode, double b, int bcode, double c,
                  double cafter),
                 ((struct gatherer__frame *)async__task_frame(t), a, acode, b,
                  bcode, c, cafter))

enum { MAX_TASKS = 8 };

/*
 * async int script(...) {
 *     start(t, &n);                    -- spawns, maybe cancels
 *     await(async_sleep(pause));
 *     act(t, n);                       -- cancels, inspects
 *     await(async_sleep(0));
 *     mid(t, n);                       -- inspects
 *     for (i = 0; i < n; i++) {
 *         results[i] = async_try(await(t[i]), &errs[i]);
 *         event(JOINED + i);
 *     }
 *     after(t, n);                     -- inspects the finished tasks
 *     if (end_stuck)
 *         await(stuck());
 *     return 0;
 * }
 * Hooks that are NULL are skipped.  Tasks are freed when the run ends.
 */
typedef void script_hook(async_task **t, int n);

struct script__frame {
    int _state;
    void (*start)(async_task **t, int *n);
    script_hook *act;
    script_hook *mid;
    script_hook *after;
    double pause;
    int end_stuck;
    async_task *t[MAX_TASKS];
    int n;
    int i;
    int results[MAX_TASKS];
    int errs[MAX_TASKS];
    struct async_sleep__frame _a1;
    struct async_join__frame _a2;
    struct stuck__frame _a3;
    int _ret;
};

static void script__init(struct script__frame *f,
                         void (*start)(async_task **, int *), double pause) {
    memset(f, 0, sizeof(*f));
    f->start = start;
    f->pause = pause;
}

static int script__resume(void *frame) {
    struct script__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    case 2:
        goto await2;
    case 3:
        goto await3;
    case 4:
        goto await4;
    default:
        return ASYNC__READY;
    }
    if (f->start != NULL)
        f->start(f->t, &f->n);
    async_sleep__init(&f->_a1, f->pause);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    if (f->act != NULL)
        f->act(f->t, f->n);
    async_sleep__init(&f->_a1, 0);
    f->_state = 2;
await2:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    if (f->mid != NULL)
        f->mid(f->t, f->n);
    for (f->i = 0; f->i < f->n; f->i++) {
        f->errs[f->i] = 0;
        async_join__init(&f->_a2, f->t[f->i]);
        f->_state = 3;
    await3:
        if ((r = async_join__resume(&f->_a2)) != ASYNC__READY) {
            if (r == ASYNC__PENDING)
                return ASYNC__PENDING;
            f->errs[f->i] = async__take_error();
            memset(&f->_a2._ret, 0, sizeof f->_a2._ret);
        }
        f->results[f->i] = f->_a2._ret;
        event(JOINED + f->i);
    }
    if (f->after != NULL)
        f->after(f->t, f->n);
    if (f->end_stuck) {
        stuck__init(&f->_a3);
        f->_state = 4;
    await4:
        if ((r = stuck__resume(&f->_a3)) != ASYNC__READY)
            goto exit;
    }
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* ------------------------------------------------------------------ */
/* Failures and async_try                                              */
/* ------------------------------------------------------------------ */

/* A raise fails the raising frame and every frame awaiting it; the code
 * after the failed await does not run; async_run returns the code. */
static void test_failure_propagates(void **state) {
    struct parent__frame f;
    static const int failed[] = {10, 1, 101};
    static const int passed[] = {10, 1, 101, 11};

    (void)state;
    parent__init(&f, -EIO);
    errno = 0;
    assert_int_equal(RUN(parent, &f), -EIO);
    assert_int_equal(errno, EIO);
    assert_events(failed, 3);
    assert_int_equal(f._state, -1);
    assert_int_equal(f._a1._state, -1);

    events_reset();
    parent__init(&f, 0);
    assert_int_equal(RUN(parent, &f), 0);
    assert_events(passed, 4);
    assert_int_equal(f._ret, 2);
}

/* async_try stops the failure two frames up, gives a zero result and
 * leaves the task's error clear; without a failure err is 0. */
static void test_try_catches(void **state) {
    struct catcher__frame f;
    static const int want[] = {10, 1, 101, 12};
    static const int passed[] = {10, 1, 101, 11, 12};

    (void)state;
    catcher__init(&f, -ENOENT);
    assert_int_equal(RUN(catcher, &f), 0);
    assert_events(want, 4);
    assert_int_equal(f.err, -ENOENT);
    assert_int_equal(f.v, 0);
    assert_int_equal(f.error_after, 0);
    assert_int_equal(f._state, -1);

    events_reset();
    catcher__init(&f, 0);
    assert_int_equal(RUN(catcher, &f), 0);
    assert_events(passed, 5);
    assert_int_equal(f.err, 0);
    assert_int_equal(f.v, 2);
}

/* async_raise of a code that is not negative raises ASYNC_EINVAL; a frame
 * that fails without a code fails with ASYNC_EINVAL too. */
static void test_run_returns_root_error(void **state) {
    struct failer__frame f;
    struct bogus__frame b = {0, 0};

    (void)state;
    failer__init(&f, 1, 0, ASYNC_ETIMEDOUT);
    errno = 0;
    assert_int_equal(RUN(failer, &f), ASYNC_ETIMEDOUT);
    assert_int_equal(errno, ETIMEDOUT);

    failer__init(&f, 1, 0, 5);
    assert_int_equal(RUN(failer, &f), ASYNC_EINVAL);
    assert_int_equal(errno, EINVAL);

    assert_int_equal(RUN(bogus, &b), ASYNC_EINVAL);

    /* The next run starts clean. */
    failer__init(&f, 1, 0, 0);
    errno = 0;
    assert_int_equal(RUN(failer, &f), 0);
    assert_int_equal(errno, 0);
    assert_int_equal(f._ret, 1);
}

static void spawn_failed_twice(async_task **t, int *n) {
    t[0] = spawn_failer(1, 0.002, -EPIPE);
    t[1] = spawn_failer(2, 0.002, 0);
    t[2] = t[0];
    t[3] = t[1];
    /* Fails unobserved: that does not fail the run. */
    async_task_release(spawn_failer(3, 0, -EIO));
    *n = 4;
}

static void check_failed_twice(async_task **t, int n) {
    (void)n;
    assert_int_equal(async_task_error(t[0]), -EPIPE);
    assert_int_equal(async_task_error(t[1]), 0);
    /* A failed task produced no result: it reads as zero. */
    assert_int_equal(async_task_result(t[0], int), 0);
    assert_int_equal(async_task_result(t[1], int), 2);
    assert_int_equal(async_cancel(t[0]), 0);
}

/* Joining a failed task fails with its code, every time; joining a
 * finished task twice gives the same result.  Both while the task runs
 * (pause 0) and after it has finished. */
static void test_join_failed_task(void **state) {
    (void)state;
    for (int finished_first = 0; finished_first < 2; finished_first++) {
        struct script__frame f;

        script__init(&f, spawn_failed_twice, finished_first ? 0.005 : 0);
        f.after = check_failed_twice;
        assert_int_equal(RUN(script, &f), 0);
        assert_int_equal(f.errs[0], -EPIPE);
        assert_int_equal(f.errs[1], 0);
        assert_int_equal(f.errs[2], -EPIPE);
        assert_int_equal(f.errs[3], 0);
        assert_int_equal(f.results[0], 0);
        assert_int_equal(f.results[1], 2);
        assert_int_equal(f.results[2], 0);
        assert_int_equal(f.results[3], 2);
    }
}

/* ------------------------------------------------------------------ */
/* Cancellation                                                        */
/* ------------------------------------------------------------------ */

static void spawn_sleeping(async_task **t, int *n) {
    t[0] = spawn_sleeper(1, 10.0);
    t[1] = spawn_yielder(2, 1000000);
    *n = 2;
}

static void cancel_all(async_task **t, int n) {
    for (int i = 0; i < n; i++) {
        assert_int_equal(async_task_error(t[i]), 0); /* not finished */
        assert_int_equal(async_cancel(t[i]), 1);
        assert_int_equal(async_cancel(t[i]), 1); /* again: still 1 */
    }
}

static void check_cancelled_sleepers(async_task **t, int n) {
    struct sleeper__frame *s = async__task_frame(t[0]);

    for (int i = 0; i < n; i++) {
        assert_true(async_task_done(t[i]));
        assert_int_equal(async_task_error(t[i]), ASYNC_ECANCELED);
        assert_int_equal(async_cancel(t[i]), 0);
    }
    assert_int_equal(s->_state, -1);
    assert_int_equal(s->_a1._state, -1);
    assert_int_equal(s->_a1.timer.index, ASYNC__TIMER_NONE);
}

/* A task sleeping on a timer and one yielding both fail with
 * ASYNC_ECANCELED at once; the 10 s timer is gone. */
static void test_cancel_sleeping_task(void **state) {
    struct script__frame f;
    static const int want[] = {1, 2, JOINED + 0, JOINED + 1};
    double start = async_time(), elapsed;

    (void)state;
    script__init(&f, spawn_sleeping, 0);
    f.act = cancel_all;
    f.after = check_cancelled_sleepers;
    assert_int_equal(RUN(script, &f), 0);
    elapsed = async_time() - start;
    assert_events(want, 4);
    assert_int_equal(f.errs[0], ASYNC_ECANCELED);
    assert_int_equal(f.errs[1], ASYNC_ECANCELED);
    if (!(elapsed < 1.0))
        fail_msg("took %.3f s: the cancelled sleep still ran", elapsed);
}

/* With the timer gone, a root waiting on nothing is a deadlock found at
 * once, not after the 10 s the timer would have kept the loop alive. */
static void test_cancelled_timer_is_removed(void **state) {
    struct script__frame f;
    double start = async_time(), elapsed;

    (void)state;
    script__init(&f, spawn_sleeping, 0);
    f.act = cancel_all;
    f.end_stuck = 1;
    assert_int_equal(RUN(script, &f), -EDEADLK);
    elapsed = async_time() - start;
    if (!(elapsed < 1.0))
        fail_msg("took %.3f s: the timer outlived its sleep", elapsed);
}

static void spawn_cancelled(async_task **t, int *n) {
    t[0] = spawn_sleeper(1, 10.0);
    t[1] = spawn_yielder(2, 0); /* finishes without awaiting */
    t[2] = spawn_stubborn(3, 10.0, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(async_cancel(t[i]), 1);
    *n = 3;
}

static void check_cancelled_at_start(async_task **t, int n) {
    (void)n;
    assert_int_equal(async_task_error(t[0]), ASYNC_ECANCELED);
    /* The request came too late for a task that never suspended. */
    assert_int_equal(async_task_error(t[1]), 0);
    /* Caught, then a sleep that the spent request does not cancel. */
    assert_int_equal(async_task_error(t[2]), 0);
    assert_int_equal(async_task_result(t[2], int), ASYNC_ECANCELED);
}

/* Tasks cancelled before their first poll run up to their first await,
 * which fails at once. */
static void test_cancel_before_first_poll(void **state) {
    struct script__frame f;
    static const int want[] = {
        1, 3, CAUGHT + 3, SLEEPER_END + 3, JOINED + 0, JOINED + 1, JOINED + 2};

    (void)state;
    script__init(&f, spawn_cancelled, 0);
    f.after = check_cancelled_at_start;
    assert_int_equal(RUN(script, &f), 0);
    assert_events(want, 7);
    assert_int_equal(f.errs[0], ASYNC_ECANCELED);
    assert_int_equal(f.errs[1], 0);
    assert_int_equal(f.results[1], 0);
    assert_int_equal(f.errs[2], 0);
    assert_int_equal(f.results[2], ASYNC_ECANCELED);
}

/* A task that cancels itself: its next (first) await fails, and so does
 * the run. */
static void test_self_cancel(void **state) {
    struct self_cancel__frame f = {0};
    static const int want[] = {1};
    double start = async_time();

    (void)state;
    f.seconds = 10.0;
    errno = 0;
    assert_int_equal(RUN(self_cancel, &f), ASYNC_ECANCELED);
    assert_int_equal(errno, ECANCELED);
    assert_true(async_time() - start < 1.0);
    assert_events(want, 1);
    assert_int_equal(f.cancel_rc[0], 1);
    assert_int_equal(f.cancel_rc[1], 1);
    assert_int_equal(f._state, -1);
}

/* Joiners of one task: which of them to cancel (1, 2 or 3). */
static int victim;

static void spawn_joiners(async_task **t, int *n) {
    t[0] = spawn_sleeper(1, 0.020);
    for (int i = 1; i <= 3; i++)
        t[i] = spawn_joiner(10 + i, t[0]);
    *n = 4;
}

static void cancel_victim(async_task **t, int n) {
    int k = 0;

    (void)n;
    for (async__waiter *w = t[0]->waiters; w != NULL; w = w->next)
        assert_ptr_equal(((async__joiner *)w)->task, t[1 + k++]);
    assert_int_equal(k, 3);
    assert_int_equal(async_cancel(t[victim]), 1);
}

/* The cancelled joiner has finished and left the waiter list; the
 * others still wait, in order. */
static void check_waiters(async_task **t, int n) {
    int k = 0;

    (void)n;
    assert_true(async_task_done(t[victim]));
    assert_int_equal(async_task_error(t[victim]), ASYNC_ECANCELED);
    assert_false(async_task_done(t[0]));
    for (async__waiter *w = t[0]->waiters; w != NULL; w = w->next) {
        if (1 + k == victim)
            k++;
        assert_ptr_equal(((async__joiner *)w)->task, t[1 + k++]);
    }
    assert_int_equal(k, victim == 3 ? 2 : 3);
}

/* Cancelling a task waiting in a join (first, middle or last waiter)
 * ends that join only: the joined task runs on, and the other joiners
 * and the script still join it. */
static void test_cancel_joining_task(void **state) {
    (void)state;
    for (victim = 1; victim <= 3; victim++) {
        struct script__frame f;
        int want[16], n = 0;

        events_reset();
        script__init(&f, spawn_joiners, 0);
        f.act = cancel_victim;
        f.mid = check_waiters;
        assert_int_equal(RUN(script, &f), 0);
        want[n++] = 1;
        for (int i = 1; i <= 3; i++)
            want[n++] = 10 + i;
        want[n++] = SLEEPER_END + 1;
        for (int i = 1; i <= 3; i++)
            if (i != victim)
                want[n++] = SLEEPER_END + 10 + i;
        for (int i = 0; i < 4; i++)
            want[n++] = JOINED + i;
        assert_events(want, n);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(f.errs[i], i == victim ? ASYNC_ECANCELED : 0);
            assert_int_equal(f.results[i], i == victim ? 0 : 1);
        }
    }
}

static void spawn_gatherer_long(async_task **t, int *n) {
    t[0] = spawn_gatherer(10.0, 0, 10.0, 0, 10.0, 0.020);
    *n = 1;
}

static void spawn_gatherer_cancelled(async_task **t, int *n) {
    spawn_gatherer_long(t, n);
    assert_int_equal(async_cancel(t[0]), 1);
}

static void cancel_first(async_task **t, int n) {
    (void)n;
    assert_int_equal(async_cancel(t[0]), 1);
}

/* Every child was cancelled; the one that caught it went on, and the
 * gather waited for it. */
static void check_gather_cancelled(async_task **t, int n) {
    struct gatherer__frame *g = async__task_frame(t[0]);

    (void)n;
    assert_int_equal(async_task_error(t[0]), ASYNC_ECANCELED);
    assert_int_equal(g->_state, -1);
    assert_int_equal(g->_g.remaining, 0);
    assert_int_equal(g->_g.cancelling, 1);
    assert_null(g->_g.waiter);
    assert_int_equal(async_task_error(&g->_t[0].task), ASYNC_ECANCELED);
    assert_int_equal(async_task_error(&g->_t[1].task), ASYNC_ECANCELED);
    assert_int_equal(async_task_error(&g->_t[2].task), 0);
    assert_int_equal(g->_c2._ret, ASYNC_ECANCELED);
    for (int i = 0; i < 3; i++)
        assert_true(async_task_done(&g->_t[i].task));
}

/* Cancelling a gathering task cancels its children; the gather fails
 * with ASYNC_ECANCELED only once all of them have stopped (the stubborn
 * child's 20 ms), both when the children were running and when the
 * gathering task had not started yet. */
static void test_cancel_gathering_task(void **state) {
    /* The stubborn child (3) ends last; then the join of the gatherer. */
    static const int want[] = {1, 2, 3, CAUGHT + 3, SLEEPER_END + 3, JOINED};

    (void)state;
    for (int early = 0; early < 2; early++) {
        struct script__frame f;
        double start = async_time(), elapsed;

        events_reset();
        script__init(&f, early ? spawn_gatherer_cancelled : spawn_gatherer_long,
                     0.005);
        if (!early)
            f.act = cancel_first;
        f.after = check_gather_cancelled;
        assert_int_equal(RUN(script, &f), 0);
        elapsed = async_time() - start;
        assert_events(want, 6);
        assert_int_equal(f.errs[0], ASYNC_ECANCELED);
        assert_true(elapsed >= 0.020);
        if (!(elapsed < 1.0))
            fail_msg("took %.3f s: the children were not cancelled", elapsed);
    }
}

/* The child that fails first decides the gather's error; the others run
 * to their end, and only then does the gather fail. */
static void test_child_fails_in_gather(void **state) {
    struct gatherer__frame f;
    static const int want[] = {
        1, 2, 3, SLEEPER_END + 2, SLEEPER_END + 1, CAUGHT + 3, SLEEPER_END + 3};

    (void)state;
    gatherer__init(&f, 0.020, -EIO, 0.010, -EPIPE, 0.030, 0);
    errno = 0;
    assert_int_equal(RUN(gatherer, &f), -EPIPE);
    assert_int_equal(errno, EPIPE);
    assert_events(want, 7);
    assert_int_equal(f._state, -1);
    assert_int_equal(f._g.error, -EPIPE);
    assert_int_equal(f._g.cancelling, 0);
    assert_int_equal(async_task_error(&f._t[0].task), -EIO);
    assert_int_equal(async_task_error(&f._t[1].task), -EPIPE);
    assert_int_equal(async_task_error(&f._t[2].task), 0);
    assert_int_equal(f._c2._ret, 0);

    /* Without failures, the same gather succeeds. */
    events_reset();
    gatherer__init(&f, 0.002, 0, 0.001, 0, 0.003, 0);
    assert_int_equal(RUN(gatherer, &f), 0);
    assert_int_equal(f._g.error, 0);
    assert_int_equal(events[n_events - 1], GATHERED);
}

/* ------------------------------------------------------------------ */
/* Bad input and messages                                              */
/* ------------------------------------------------------------------ */

static void spawn_null(async_task **t, int *n) {
    t[0] = NULL;
    t[1] = spawn_sleeper(1, 0);
    *n = 2;
}

/* NULL handles are reported, not followed; the generated-code interface
 * does nothing harmful outside a task. */
static void test_bad_input(void **state) {
    struct script__frame f;

    (void)state;
    assert_int_equal(async_cancel(NULL), ASYNC_EINVAL);
    assert_int_equal(async_task_error(NULL), ASYNC_EINVAL);
    async_task_release(NULL);

    assert_int_equal(async__raise(-EIO), ASYNC__FAILED);
    assert_int_equal(async__raise(3), ASYNC__FAILED);
    assert_int_equal(async__take_error(), 0);
    assert_int_equal(async__cancelled(), 0);

    /* Joining NULL fails with ASYNC_EINVAL; the script goes on. */
    script__init(&f, spawn_null, 0);
    assert_int_equal(RUN(script, &f), 0);
    assert_int_equal(f.errs[0], ASYNC_EINVAL);
    assert_int_equal(f.results[0], 0);
    assert_int_equal(f.errs[1], 0);
    assert_int_equal(f.results[1], 1);
}

static void test_strerror(void **state) {
    (void)state;
    assert_string_equal(async_strerror(0), "success");
    assert_string_equal(async_strerror(ASYNC_ECANCELED),
                        "the task was cancelled");
    assert_string_equal(async_strerror(ASYNC_ETIMEDOUT),
                        "the operation timed out");
    assert_string_equal(async_strerror(ASYNC_ENOMEM), "out of memory");
    assert_string_equal(async_strerror(ASYNC_EINVAL), "invalid argument");
    assert_string_equal(async_strerror(-ENOENT), strerror(ENOENT));
    assert_string_equal(async_strerror(-EPIPE), strerror(EPIPE));
    assert_string_equal(async_strerror(1), "unknown error");
    assert_string_equal(async_strerror(INT32_MAX), "unknown error");
    assert_string_equal(async_strerror(INT32_MIN), "unknown error");
    assert_non_null(async_strerror(-99999));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_failure_propagates, setup),
        cmocka_unit_test_setup(test_try_catches, setup),
        cmocka_unit_test_setup(test_run_returns_root_error, setup),
        cmocka_unit_test_setup(test_join_failed_task, setup),
        cmocka_unit_test_setup(test_cancel_sleeping_task, setup),
        cmocka_unit_test_setup(test_cancelled_timer_is_removed, setup),
        cmocka_unit_test_setup(test_cancel_before_first_poll, setup),
        cmocka_unit_test_setup(test_self_cancel, setup),
        cmocka_unit_test_setup(test_cancel_joining_task, setup),
        cmocka_unit_test_setup(test_cancel_gathering_task, setup),
        cmocka_unit_test_setup(test_child_fails_in_gather, setup),
        cmocka_unit_test_setup(test_bad_input, setup),
        cmocka_unit_test_setup(test_strerror, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
