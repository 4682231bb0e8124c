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

#define FRAMES_HAND_WRITTEN

#include "frames.h"
#include "internal.h"

/* More events, next to frames.h's id and SLEEPER_END + id. */
enum { CAUGHT = 200, JOINED = 300, GATHERED = 400 };

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

/* The tasks of a gatherer's children (by id, 1 to 3) and what its
 * stubborn child returned; each child records them itself. */
static async_task *self[4];
static int stubborn_ret;

/* Catches the cancellation of its first sleep, then sleeps again; its
 * result is the code it caught. */
static async int stubborn(int id, double seconds, double after) {
    int err;

    self[id] = async__current();
    event(id);
    async_try(await(async_sleep(seconds)), &err);
    event(CAUGHT + id);
    await(async_sleep(after));
    event(SLEEPER_END + id);
    stubborn_ret = err;
    return err;
}

/*
 * async int parent(int code) {
 *     event(10);
 *     int v = await(failer(1, 0, code));
 *     event(11);
 *     return v + 1;
 * }
 * Hand-written: test_failure_propagates reads its state and that of the
 * failer frame in it after the run, to see both frames finished by the
 * failure.  failer, sleeper and yielder are frames.h's.
 */
struct parent__frame {
    int _state;
    int code;
    int v;
    struct failer__frame _a1;
    int _ret;
};

#ifdef __ASYNCC__
async int parent(int code);
#endif

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

/* What catcher caught and got, and the task's error right after. */
static int caught_err, caught_v, error_after;

static async int catcher(int code) {
    int err;
    int v = async_try(await(parent(code)), &err);

    caught_err = err;
    caught_v = v;
    error_after = async__current()->error;
    event(12);
    return v;
}

static async int joiner(int id, async_task *target) {
    int v;

    event(id);
    v = await(target);
    event(SLEEPER_END + id);
    return v;
}

/* A gathered failer that records its task. */
static async int gfailer(int id, double seconds, int code) {
    self[id] = async__current();
    return await(failer(id, seconds, code));
}

static async int gatherer(double a, int acode, double b, int bcode, double c,
                          double cafter) {
    await(async_gather(gfailer(1, a, acode), gfailer(2, b, bcode),
                       stubborn(3, c, cafter)));
    event(GATHERED);
    return 0;
}

/* The gather of the last gatherer, reached from a child (a child task is
 * the first member of its async__child, which points at its gather). */
static async__gather *the_gather(void) {
    return ((async__child *)self[1])->group;
}

/* A task that cancels itself (twice; what async_cancel returned). */
static int cancel_rc[2];

static async int self_cancel(double seconds) {
    event(1);
    cancel_rc[0] = async_cancel(async__current());
    cancel_rc[1] = async_cancel(async__current());
    await(async_sleep(seconds));
    event(2);
    return 0;
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

enum { MAX_TASKS = 8 };

/* What a script starts with: the tasks it spawns (and maybe cancels). */
enum start {
    FAILED_TWICE,
    SLEEPING,
    CANCELLED,
    JOINERS,
    GATHERER_LONG,
    GATHERER_CANCELLED,
    NULL_HANDLE
};

/* Spawns the tasks of `start` into t; evaluates to their number.
 * sleeper, yielder and failer are frames.h's: spawn_NAME starts them. */
static async int start_tasks(enum start start, async_task **t) {
    switch (start) {
    case FAILED_TWICE:
        t[0] = spawn_failer(1, 0.002, -EPIPE);
        t[1] = spawn_failer(2, 0.002, 0);
        t[2] = t[0];
        t[3] = t[1];
        /* Fails unobserved: that does not fail the run. */
        async_task_release(spawn_failer(3, 0, -EIO));
        return 4;
    case SLEEPING:
        t[0] = spawn_sleeper(1, 10.0);
        t[1] = spawn_yielder(2, 1000000);
        return 2;
    case CANCELLED:
        t[0] = spawn_sleeper(1, 10.0);
        t[1] = spawn_yielder(2, 0); /* finishes without awaiting */
        t[2] = async_spawn(stubborn(3, 10.0, 0));
        for (int i = 0; i < 3; i++)
            assert_int_equal(async_cancel(t[i]), 1);
        return 3;
    case JOINERS:
        t[0] = spawn_sleeper(1, 0.020);
        for (int i = 1; i <= 3; i++)
            t[i] = async_spawn(joiner(10 + i, t[0]));
        return 4;
    case GATHERER_LONG:
    case GATHERER_CANCELLED:
        t[0] = async_spawn(gatherer(10.0, 0, 10.0, 0, 10.0, 0.020));
        if (start == GATHERER_CANCELLED)
            assert_int_equal(async_cancel(t[0]), 1);
        return 1;
    case NULL_HANDLE:
        t[0] = NULL;
        t[1] = spawn_sleeper(1, 0);
        return 2;
    }
    return 0;
}

/* A test's script: hooks that are NULL are skipped; what the joins
 * gave. */
typedef void script_hook(async_task **t, int n);

struct script {
    enum start start;
    double pause;
    script_hook *act;   /* cancels, inspects */
    script_hook *mid;   /* inspects */
    script_hook *after; /* inspects the finished tasks */
    int end_stuck;
    int results[MAX_TASKS];
    int errs[MAX_TASKS];
};

static void script_init(struct script *s, enum start start, double pause) {
    memset(s, 0, sizeof(*s));
    s->start = start;
    s->pause = pause;
}

/* Tasks are freed when the run ends. */
static async int script(struct script *s) {
    async_task *t[MAX_TASKS];
    int n = await(start_tasks(s->start, t));

    await(async_sleep(s->pause));
    if (s->act != NULL)
        s->act(t, n);
    await(async_sleep(0));
    if (s->mid != NULL)
        s->mid(t, n);
    for (int i = 0; i < n; i++) {
        s->results[i] = async_try(await(t[i]), &s->errs[i]);
        event(JOINED + i);
    }
    if (s->after != NULL)
        s->after(t, n);
    if (s->end_stuck)
        await(stuck());
    return 0;
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
    static const int want[] = {10, 1, 101, 12};
    static const int passed[] = {10, 1, 101, 11, 12};

    (void)state;
    assert_int_equal(async_run(catcher(-ENOENT)), 0);
    assert_events(want, 4);
    assert_int_equal(caught_err, -ENOENT);
    assert_int_equal(caught_v, 0);
    assert_int_equal(error_after, 0);

    events_reset();
    assert_int_equal(async_run(catcher(0)), 2);
    assert_events(passed, 5);
    assert_int_equal(caught_err, 0);
    assert_int_equal(caught_v, 2);
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
        struct script f;

        script_init(&f, FAILED_TWICE, finished_first ? 0.005 : 0);
        f.after = check_failed_twice;
        assert_int_equal(async_run(script(&f)), 0);
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
    struct script f;
    static const int want[] = {1, 2, JOINED + 0, JOINED + 1};
    double start = async_time(), elapsed;

    (void)state;
    script_init(&f, SLEEPING, 0);
    f.act = cancel_all;
    f.after = check_cancelled_sleepers;
    assert_int_equal(async_run(script(&f)), 0);
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
    struct script f;
    double start = async_time(), elapsed;

    (void)state;
    script_init(&f, SLEEPING, 0);
    f.act = cancel_all;
    f.end_stuck = 1;
    errno = 0;
    assert_int_equal(async_run(script(&f)), -1);
    assert_int_equal(errno, EDEADLK);
    elapsed = async_time() - start;
    if (!(elapsed < 1.0))
        fail_msg("took %.3f s: the timer outlived its sleep", elapsed);
}

static void check_cancelled_at_start(async_task **t, int n) {
    for (int i = 0; i < n; i++)
        assert_int_equal(async_task_error(t[i]), ASYNC_ECANCELED);
}

/* Tasks cancelled before their first poll never run: not even the code
 * before their first await (no event 1, 2 or 3), and not the yielder
 * that would have finished without awaiting.  Each finishes with
 * ASYNC_ECANCELED, which its join sees. */
static void test_cancel_before_first_poll(void **state) {
    struct script f;
    static const int want[] = {JOINED + 0, JOINED + 1, JOINED + 2};

    (void)state;
    script_init(&f, CANCELLED, 0);
    f.after = check_cancelled_at_start;
    assert_int_equal(async_run(script(&f)), 0);
    assert_events(want, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f.errs[i], ASYNC_ECANCELED);
        assert_int_equal(f.results[i], 0);
    }
}

/* A task that cancels itself: its next (first) await fails, and so does
 * the run. */
static void test_self_cancel(void **state) {
    static const int want[] = {1};
    double start = async_time();

    (void)state;
    errno = 0;
    assert_int_equal(async_run(self_cancel(10.0)), -1);
    assert_int_equal(errno, ECANCELED);
    assert_true(async_time() - start < 1.0);
    assert_events(want, 1);
    assert_int_equal(cancel_rc[0], 1);
    assert_int_equal(cancel_rc[1], 1);
}

/* Joiners of one task: which of them to cancel (1, 2 or 3). */
static int victim;

static void cancel_victim(async_task **t, int n) {
    int k = 0;

    (void)n;
    for (async__waiter *w = async__waiter_next(t[0], NULL); w != NULL;
         w = async__waiter_next(t[0], w))
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
    for (async__waiter *w = async__waiter_next(t[0], NULL); w != NULL;
         w = async__waiter_next(t[0], w)) {
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
        struct script f;
        int want[16], n = 0;

        events_reset();
        script_init(&f, JOINERS, 0);
        f.act = cancel_victim;
        f.mid = check_waiters;
        assert_int_equal(async_run(script(&f)), 0);
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

static void cancel_first(async_task **t, int n) {
    (void)n;
    assert_int_equal(async_cancel(t[0]), 1);
}

/* Every child was cancelled; the one that caught it went on, and the
 * gather waited for it. */
static void check_gather_cancelled(async_task **t, int n) {
    async__gather *g = the_gather();

    (void)n;
    assert_int_equal(async_task_error(t[0]), ASYNC_ECANCELED);
    assert_int_equal(g->remaining, 0);
    assert_int_equal(g->cancelling, 1);
    assert_null(g->waiter);
    assert_int_equal(async_task_error(self[1]), ASYNC_ECANCELED);
    assert_int_equal(async_task_error(self[2]), ASYNC_ECANCELED);
    assert_int_equal(async_task_error(self[3]), 0);
    assert_int_equal(stubborn_ret, ASYNC_ECANCELED);
    for (int i = 1; i <= 3; i++)
        assert_true(async_task_done(self[i]));
}

/* Cancelling a gathering task cancels its children; the gather fails
 * with ASYNC_ECANCELED only once all of them have stopped (the stubborn
 * child's 20 ms). */
static void test_cancel_gathering_task(void **state) {
    /* The stubborn child (3) ends last; then the join of the gatherer. */
    static const int want[] = {1, 2, 3, CAUGHT + 3, SLEEPER_END + 3, JOINED};
    struct script f;
    double start = async_time(), elapsed;

    (void)state;
    script_init(&f, GATHERER_LONG, 0.005);
    f.act = cancel_first;
    f.after = check_gather_cancelled;
    assert_int_equal(async_run(script(&f)), 0);
    elapsed = async_time() - start;
    assert_events(want, 6);
    assert_int_equal(f.errs[0], ASYNC_ECANCELED);
    assert_true(elapsed >= 0.020);
    if (!(elapsed < 1.0))
        fail_msg("took %.3f s: the children were not cancelled", elapsed);
}

static void check_gatherer_never_ran(async_task **t, int n) {
    (void)n;
    assert_int_equal(async_task_error(t[0]), ASYNC_ECANCELED);
}

/* A gathering task cancelled before it started never runs: no child is
 * started, so none of their events, and the join fails at once. */
static void test_cancel_gathering_task_unstarted(void **state) {
    static const int want[] = {JOINED};
    struct script f;
    double start = async_time(), elapsed;

    (void)state;
    script_init(&f, GATHERER_CANCELLED, 0.005);
    f.after = check_gatherer_never_ran;
    assert_int_equal(async_run(script(&f)), 0);
    elapsed = async_time() - start;
    assert_events(want, 1);
    assert_int_equal(f.errs[0], ASYNC_ECANCELED);
    if (!(elapsed < 0.015))
        fail_msg("took %.3f s: the cancelled gatherer ran", elapsed);
}

/* What the gather of gatherer_checked's gatherer and its children held
 * once it was over. */
static int gather_error, gather_cancelling, child_errs[4];

/* Runs gatherer and records its gather and children before they go
 * (they live in this frame); fails as the gatherer did. */
static async int gatherer_checked(double a, int acode, double b, int bcode,
                                  double c, double cafter) {
    int err;

    async_try(await(gatherer(a, acode, b, bcode, c, cafter)), &err);
    gather_error = the_gather()->error;
    gather_cancelling = the_gather()->cancelling;
    for (int i = 1; i <= 3; i++)
        child_errs[i] = async_task_error(self[i]);
    if (err != 0)
        async_raise(err);
    return 0;
}

/* The child that fails first decides the gather's error; the others run
 * to their end, and only then does the gather fail. */
static void test_child_fails_in_gather(void **state) {
    static const int want[] = {
        1, 2, 3, SLEEPER_END + 2, SLEEPER_END + 1, CAUGHT + 3, SLEEPER_END + 3};

    (void)state;
    errno = 0;
    assert_int_equal(
        async_run(gatherer_checked(0.020, -EIO, 0.010, -EPIPE, 0.030, 0)), -1);
    assert_int_equal(errno, EPIPE);
    assert_events(want, 7);
    assert_int_equal(gather_error, -EPIPE);
    assert_int_equal(gather_cancelling, 0);
    assert_int_equal(child_errs[1], -EIO);
    assert_int_equal(child_errs[2], -EPIPE);
    assert_int_equal(child_errs[3], 0);
    assert_int_equal(stubborn_ret, 0);

    /* Without failures, the same gather succeeds. */
    events_reset();
    assert_int_equal(async_run(gatherer_checked(0.002, 0, 0.001, 0, 0.003, 0)),
                     0);
    assert_int_equal(gather_error, 0);
    assert_int_equal(events[n_events - 1], GATHERED);
}

/* ------------------------------------------------------------------ */
/* Bad input and messages                                              */
/* ------------------------------------------------------------------ */

/* NULL handles are reported, not followed; the generated-code interface
 * does nothing harmful outside a task. */
static void test_bad_input(void **state) {
    struct script f;

    (void)state;
    assert_int_equal(async_cancel(NULL), ASYNC_EINVAL);
    assert_int_equal(async_task_error(NULL), ASYNC_EINVAL);
    async_task_release(NULL);

    assert_int_equal(async__raise(-EIO), ASYNC__FAILED);
    assert_int_equal(async__raise(3), ASYNC__FAILED);
    assert_int_equal(async__take_error(), 0);
    assert_int_equal(async__cancelled(), 0);

    /* Joining NULL fails with ASYNC_EINVAL; the script goes on. */
    script_init(&f, NULL_HANDLE, 0);
    assert_int_equal(async_run(script(&f)), 0);
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
        cmocka_unit_test_setup(test_cancel_gathering_task_unstarted, setup),
        cmocka_unit_test_setup(test_child_fails_in_gather, setup),
        cmocka_unit_test_setup(test_bad_input, setup),
        cmocka_unit_test_setup(test_strerror, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
