/*
 * test_sync.c -- events, locks, semaphores and conditions: who wakes, in
 * which order, mutual exclusion, the bounded semaphore's error,
 * cancellation while waiting and after a hand-over, the condition's
 * re-acquire, and NULL arguments.
 *
 * Tasks run `op` frames: each performs one awaitable operation and logs
 * what happened.  A `driver` frame is the root: it calls a test's step
 * hook once per loop pass (spawning, cancelling, checking), then joins
 * every task.  Tasks woken during a pass run in the next pass in the
 * order they were woken, so each test's event log is exact.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define FRAMES_HAND_WRITTEN

#include "driver.h"
#include "frames.h"
#include "internal.h"

/* Events, next to the task's id (logged when it starts). */
enum { DONE = 100, FAILED = 200, RELEASED = 300 };

/* What an op task does. */
enum {
    OP_EVENT,     /* await(async_event_wait(obj)) */
    OP_LOCK,      /* acquire obj, hold it `hold` yields, release */
    OP_SEM,       /* the same with a semaphore */
    OP_COND,      /* acquire obj's lock, wait, hold `hold` yields, release */
    OP_COND_BARE, /* wait on condition obj without taking its lock */
    OP_NOTIFY     /* acquire obj's lock, notify (hold < 0: all), release */
};

enum { MAX_IDS = 64 };

/* Per task id: the op's error, and whether the lock was held when the
 * condition's wait returned or failed. */
static int op_err[MAX_IDS];
static int op_locked[MAX_IDS];
static int op_notified[MAX_IDS];
/* Tasks inside a lock or semaphore now, and the most at once. */
static int inside, max_inside;

/*
 * async int op(int id, int kind, void *obj, int hold) {
 *     int err = 0;
 *     event(id);
 *     if (kind == OP_COND || kind == OP_NOTIFY)
 *         await(async_lock_acquire(cond->lock));
 *     async_try(await(OPERATION(obj)), &err);     -- per kind
 *     event((err ? FAILED : DONE) + id);
 *     if (kind == OP_COND) op_locked[id] = async_lock_locked(cond->lock);
 *     if (err == 0 || kind == OP_COND) {
 *         for (int i = 0; i < hold; i++)
 *             await(async_sleep(0));
 *         RELEASE(obj);                           -- per kind
 *         event(RELEASED + id);
 *     }
 *     return err;
 * }
 *
 * Hand-written: the tests read the waiter inside the frame of the await
 * the op is suspended at (frame_of(t)->_a1...) to check its place in a
 * wait list or whether it was handed the object; a generated frame gives
 * that await no name a test can rely on.
 */
struct op__frame {
    int _state;
    int id;
    int kind;
    void *obj;
    int hold;
    int err;
    int i;
    union {
        struct async_event_wait__frame ev;
        struct async_lock_acquire__frame lock;
        struct async_semaphore_acquire__frame sem;
        struct async_condition_wait__frame cond;
    } _a1;
    struct async_sleep__frame _a2;
    int _ret;
};

static void op__init(struct op__frame *f, int id, int kind, void *obj,
                     int hold) {
    f->_state = 0;
    f->id = id;
    f->kind = kind;
    f->obj = obj;
    f->hold = hold;
}

static int holds(const struct op__frame *f) {
    return f->kind == OP_LOCK || f->kind == OP_SEM || f->kind == OP_COND ||
           f->kind == OP_NOTIFY;
}

static int op_poll(struct op__frame *f) {
    switch (f->kind) {
    case OP_EVENT:
        return async_event_wait__resume(&f->_a1.ev);
    case OP_LOCK:
        return async_lock_acquire__resume(&f->_a1.lock);
    case OP_SEM:
        return async_semaphore_acquire__resume(&f->_a1.sem);
    case OP_NOTIFY:
        return ASYNC__READY;
    default:
        return async_condition_wait__resume(&f->_a1.cond);
    }
}

static void op_start(struct op__frame *f) {
    switch (f->kind) {
    case OP_EVENT:
        async_event_wait__init(&f->_a1.ev, f->obj);
        break;
    case OP_LOCK:
        async_lock_acquire__init(&f->_a1.lock, f->obj);
        break;
    case OP_SEM:
        async_semaphore_acquire__init(&f->_a1.sem, f->obj);
        break;
    case OP_NOTIFY:
        break;
    default:
        async_condition_wait__init(&f->_a1.cond, f->obj);
        break;
    }
}

static void op_release(struct op__frame *f) {
    async_condition *c = f->obj;

    switch (f->kind) {
    case OP_LOCK:
        inside--;
        assert_int_equal(async_lock_release(f->obj), 0);
        break;
    case OP_SEM:
        inside--;
        assert_int_equal(async_semaphore_release(f->obj), 0);
        break;
    default:
        assert_int_equal(async_lock_release(c->lock), 0);
        break;
    }
}

static int op__resume(void *frame) {
    struct op__frame *f = frame;
    async_condition *c = f->obj;
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
    default:
        return ASYNC__READY;
    }
    f->err = 0;
    event(f->id);
    if ((f->kind == OP_COND || f->kind == OP_NOTIFY) && c != NULL) {
        async_lock_acquire__init(&f->_a1.lock, c->lock);
        f->_state = 3;
    await3:
        if ((r = async_lock_acquire__resume(&f->_a1.lock)) != ASYNC__READY)
            goto exit;
    }
    if (f->kind == OP_NOTIFY)
        op_notified[f->id] = f->hold < 0 ? async_condition_notify_all(c)
                                         : async_condition_notify(c, f->hold);
    op_start(f);
    f->_state = 1;
await1:
    if ((r = op_poll(f)) != ASYNC__READY) {
        if (r == ASYNC__PENDING)
            return ASYNC__PENDING;
        f->err = async__take_error();
    }
    event((f->err ? FAILED : DONE) + f->id);
    op_err[f->id] = f->err;
    if (f->kind == OP_COND && c != NULL)
        op_locked[f->id] = async_lock_locked(c->lock);
    if (f->kind == OP_LOCK || f->kind == OP_SEM) {
        if (f->err == 0 && ++inside > max_inside)
            max_inside = inside;
    }
    if (holds(f) && c != NULL && (f->err == 0 || f->kind == OP_COND)) {
        for (f->i = 0; f->i < (f->kind == OP_NOTIFY ? 0 : f->hold); f->i++) {
            async_sleep__init(&f->_a2, 0);
            f->_state = 2;
        await2:
            if ((r = async_sleep__resume(&f->_a2)) != ASYNC__READY)
                goto exit;
        }
        op_release(f);
        event(RELEASED + f->id);
    }
    f->_ret = f->err;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

DEFINE_SPAWN_INT(op, (int id, int kind, void *obj, int hold),
                 ((struct op__frame *)async__task_frame(t), id, kind, obj,
                  hold))

/* Spawns op(id, ...) as the next task; returns it. */
static async_task *spawn(int id, int kind, void *obj, int hold) {
    return track(spawn_op(id, kind, obj, hold));
}

static struct op__frame *frame_of(async_task *t) {
    return async__task_frame(t);
}

/* The root (see driver.h): calls the test's step hook once per pass,
 * then joins every task, whatever its outcome. */
static async int driver(step_fn *step) {
    int err;

    for (int i = 0; step(i); i++) {
        assert_true(i < 200);
        await(async_sleep(0));
    }
    for (int k = 0; k < n_tasks; k++) {
        async_try(await(tasks[k]), &err);
        assert_true(async_task_done(tasks[k]));
    }
    return 0;
}

/* Runs a test's steps and joins every task (freed when the run ends). */
static void drive(step_fn *step) {
    assert_int_equal(async_run(driver(step)), 0);
}

static int setup(void **state) {
    (void)state;
    events_reset();
    memset(op_err, 0, sizeof op_err);
    memset(op_locked, 0, sizeof op_locked);
    memset(op_notified, 0, sizeof op_notified);
    inside = max_inside = 0;
    n_tasks = 0;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Event                                                               */
/* ------------------------------------------------------------------ */

static async_event ev;

static int event_steps(int step) {
    switch (step) {
    case 0:
        for (int id = 1; id <= 3; id++)
            spawn(id, OP_EVENT, &ev, 0);
        return 1;
    case 1:
        assert_int_equal(list_len(&ev.waiters), 3);
        assert_int_equal(async_event_is_set(&ev), 0);
        return 1;
    case 2:
        assert_int_equal(async_event_set(&ev), 0);
        assert_int_equal(async_event_is_set(&ev), 1);
        assert_null(ev.waiters.head);
        /* Cleared before the waiters run: they were woken, they go on. */
        assert_int_equal(async_event_clear(&ev), 0);
        return 1;
    case 3:
        /* Cleared: a new waiter waits for the next set. */
        spawn(4, OP_EVENT, &ev, 0);
        return 1;
    case 4:
        assert_int_equal(list_len(&ev.waiters), 1);
        assert_int_equal(async_event_set(&ev), 0);
        return 1;
    case 5:
        /* Set: a waiter returns at once. */
        spawn(5, OP_EVENT, &ev, 0);
        return 1;
    default:
        return 0;
    }
}

/* async_event_set wakes every waiter, in the order they came. */
static void test_event_wakes_all(void **state) {
    static const int want[] = {1,        2, 3,        DONE + 1, DONE + 2,
                               DONE + 3, 4, DONE + 4, 5,        DONE + 5};

    (void)state;
    assert_int_equal(async_event_init(&ev), 0);
    drive(event_steps);
    assert_events(want, 10);
    for (int id = 1; id <= 5; id++)
        assert_int_equal(op_err[id], 0);
}

static int event_cancel_steps(int step) {
    switch (step) {
    case 0:
        spawn(1, OP_EVENT, &ev, 0);
        spawn(2, OP_EVENT, &ev, 0);
        return 1;
    case 1:
        assert_int_equal(async_cancel(tasks[0]), 1);
        return 1;
    case 2:
        /* The cancelled waiter has left the list. */
        assert_int_equal(list_len(&ev.waiters), 1);
        assert_ptr_equal(ev.waiters.head, &frame_of(tasks[1])->_a1.ev.waiter);
        assert_int_equal(async_event_set(&ev), 0);
        return 1;
    default:
        return 0;
    }
}

static void test_event_cancel(void **state) {
    static const int want[] = {1, 2, FAILED + 1, DONE + 2};

    (void)state;
    assert_int_equal(async_event_init(&ev), 0);
    drive(event_cancel_steps);
    assert_events(want, 4);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(op_err[2], 0);
}

/* ------------------------------------------------------------------ */
/* Lock                                                                */
/* ------------------------------------------------------------------ */

static async_lock lock;

static int lock_fifo_steps(int step) {
    if (step == 0) {
        for (int id = 1; id <= 3; id++)
            spawn(id, OP_LOCK, &lock, 2);
        return 1;
    }
    /* While a waiter has been handed the lock but has not run, the lock
     * stays locked: nobody can take it in between. */
    for (int k = 1; k < 3; k++)
        if (async__waiter_status(&frame_of(tasks[k])->_a1.lock.waiter) ==
            ASYNC__SYNC_GRANTED)
            assert_int_equal(async_lock_locked(&lock), 1);
    return step < 12;
}

/* Three tasks contend: one at a time inside, in the order they asked. */
static void test_lock_fifo(void **state) {
    static const int want[] = {
        1,        DONE + 1,     2,        3,           RELEASED + 1,
        DONE + 2, RELEASED + 2, DONE + 3, RELEASED + 3};

    (void)state;
    assert_int_equal(async_lock_init(&lock), 0);
    assert_int_equal(async_lock_locked(&lock), 0);
    drive(lock_fifo_steps);
    assert_events(want, 9);
    assert_int_equal(max_inside, 1);
    assert_int_equal(async_lock_locked(&lock), 0);
    assert_null(lock.waiters.head);
    /* Releasing an unlocked lock is an error. */
    assert_int_equal(async_lock_release(&lock), ASYNC_EINVAL);
}

static int lock_cancel_steps(int step) {
    switch (step) {
    case 0:
        spawn(1, OP_LOCK, &lock, 4);
        spawn(2, OP_LOCK, &lock, 0);
        spawn(3, OP_LOCK, &lock, 0);
        return 1;
    case 1:
        assert_int_equal(list_len(&lock.waiters), 2);
        assert_int_equal(async_cancel(tasks[1]), 1);
        return 1;
    case 2:
        /* Task 2 left; task 3 waits alone. */
        assert_true(async_task_done(tasks[1]));
        assert_int_equal(list_len(&lock.waiters), 1);
        return 1;
    default:
        return step < 10;
    }
}

/* A cancelled waiting acquire fails, holds nothing, and the next waiter
 * gets the lock when the holder releases it. */
static void test_lock_cancel_waiting(void **state) {
    static const int want[] = {
        1, DONE + 1, 2, 3, FAILED + 2, RELEASED + 1, DONE + 3, RELEASED + 3};

    (void)state;
    assert_int_equal(async_lock_init(&lock), 0);
    drive(lock_cancel_steps);
    assert_events(want, 8);
    assert_int_equal(op_err[2], ASYNC_ECANCELED);
    assert_int_equal(max_inside, 1);
    assert_int_equal(async_lock_locked(&lock), 0);
}

static int race_seen;
static int race_tasks; /* how many lockers the race test spawns */

static int lock_race_steps(int step) {
    if (step == 0) {
        spawn(1, OP_LOCK, &lock, 2);
        for (int id = 2; id <= race_tasks; id++)
            spawn(id, OP_LOCK, &lock, 0);
        return 1;
    }
    /* Task 1 has released: the lock was handed to task 2, which has not
     * run yet.  Cancel it now. */
    if (!race_seen &&
        async__waiter_status(&frame_of(tasks[1])->_a1.lock.waiter) ==
            ASYNC__SYNC_GRANTED) {
        race_seen = 1;
        assert_int_equal(async_lock_locked(&lock), 1);
        assert_int_equal(list_len(&lock.waiters), race_tasks - 2);
        assert_int_equal(async_cancel(tasks[1]), 1);
    }
    return step < 10;
}

/* The hand-over race: the lock was handed to a waiter, and the
 * cancellation arrived before it ran.  The rule: cancellation wins; the
 * acquire passes the lock on to the next waiter and fails with
 * ASYNC_ECANCELED, holding nothing. */
static void test_lock_cancel_after_handover(void **state) {
    static const int want[] = {
        1, DONE + 1, 2, 3, RELEASED + 1, FAILED + 2, DONE + 3, RELEASED + 3};

    static const int alone[] = {1, DONE + 1, 2, RELEASED + 1, FAILED + 2};

    (void)state;
    race_seen = 0;
    race_tasks = 3;
    assert_int_equal(async_lock_init(&lock), 0);
    drive(lock_race_steps);
    assert_int_equal(race_seen, 1);
    assert_events(want, 8);
    assert_int_equal(op_err[2], ASYNC_ECANCELED);
    assert_int_equal(op_err[3], 0);
    assert_int_equal(async_lock_locked(&lock), 0);

    /* With nobody left to pass it to, the lock ends up unlocked. */
    events_reset();
    n_tasks = 0;
    race_seen = 0;
    race_tasks = 2;
    drive(lock_race_steps);
    assert_int_equal(race_seen, 1);
    assert_events(alone, 5);
    assert_int_equal(op_err[2], ASYNC_ECANCELED);
    assert_int_equal(async_lock_locked(&lock), 0);
    assert_null(lock.waiters.head);
}

/* ------------------------------------------------------------------ */
/* Semaphore                                                           */
/* ------------------------------------------------------------------ */

static async_semaphore sem;

static int sem_steps(int step) {
    if (step == 0)
        for (int id = 1; id <= 4; id++)
            spawn(id, OP_SEM, &sem, 2);
    if (step == 1) {
        assert_int_equal(async_semaphore_value(&sem), 0);
        assert_int_equal(list_len(&sem.waiters), 2);
    }
    return step < 12;
}

/* Two permits, four tasks: two inside at a time, the others in order. */
static void test_semaphore_counts(void **state) {
    static const int want[] = {1,
                               DONE + 1,
                               2,
                               DONE + 2,
                               3,
                               4,
                               RELEASED + 1,
                               RELEASED + 2,
                               DONE + 3,
                               DONE + 4,
                               RELEASED + 3,
                               RELEASED + 4};

    (void)state;
    assert_int_equal(async_semaphore_init(&sem, 2), 0);
    assert_int_equal(async_semaphore_value(&sem), 2);
    drive(sem_steps);
    assert_events(want, 12);
    assert_int_equal(max_inside, 2);
    assert_int_equal(async_semaphore_value(&sem), 2);

    /* An unbounded semaphore may go above its initial value. */
    assert_int_equal(async_semaphore_init(&sem, 0), 0);
    assert_int_equal(async_semaphore_release(&sem), 0);
    assert_int_equal(async_semaphore_value(&sem), 1);
    assert_int_equal(async_semaphore_init(&sem, -1), ASYNC_EINVAL);
}

/* A bounded semaphore refuses a release beyond its initial value. */
static void test_bounded_semaphore(void **state) {
    (void)state;
    assert_int_equal(async_bounded_semaphore_init(&sem, 1), 0);
    assert_int_equal(async_semaphore_release(&sem), ASYNC_EINVAL);
    assert_int_equal(async_semaphore_value(&sem), 1);
    assert_int_equal(async_bounded_semaphore_init(&sem, 0), 0);
    assert_int_equal(async_semaphore_release(&sem), ASYNC_EINVAL);
    assert_int_equal(async_bounded_semaphore_init(&sem, -2), ASYNC_EINVAL);

    /* Two permits: taken and given back, but never one more. */
    assert_int_equal(async_bounded_semaphore_init(&sem, 2), 0);
    drive(sem_steps);
    assert_int_equal(max_inside, 2);
    assert_int_equal(async_semaphore_value(&sem), 2);
    assert_int_equal(async_semaphore_release(&sem), ASYNC_EINVAL);
}

static int sem_race_steps(int step) {
    if (step == 0) {
        spawn(1, OP_SEM, &sem, 2);
        spawn(2, OP_SEM, &sem, 0);
        spawn(3, OP_SEM, &sem, 0);
        return 1;
    }
    if (!race_seen &&
        async__waiter_status(&frame_of(tasks[1])->_a1.sem.waiter) ==
            ASYNC__SYNC_GRANTED) {
        race_seen = 1;
        assert_int_equal(async_semaphore_value(&sem), 0);
        assert_int_equal(async_cancel(tasks[1]), 1);
    }
    return step < 10;
}

/* A permit handed to a waiter that is cancelled before it runs goes to
 * the next waiter; the bound is not tripped by passing it on. */
static void test_semaphore_cancel_after_handover(void **state) {
    static const int want[] = {
        1, DONE + 1, 2, 3, RELEASED + 1, FAILED + 2, DONE + 3, RELEASED + 3};

    (void)state;
    race_seen = 0;
    assert_int_equal(async_bounded_semaphore_init(&sem, 1), 0);
    drive(sem_race_steps);
    assert_int_equal(race_seen, 1);
    assert_events(want, 8);
    assert_int_equal(op_err[2], ASYNC_ECANCELED);
    assert_int_equal(op_err[3], 0);
    assert_int_equal(async_semaphore_value(&sem), 1);
}

/* ------------------------------------------------------------------ */
/* Condition                                                           */
/* ------------------------------------------------------------------ */

static async_condition cond;

static int cond_spawned;

static int cond_steps(int step) {
    switch (step) {
    case 0:
        for (int id = 1; id <= 3; id++)
            spawn(id, OP_COND, &cond, 1);
        return 1;
    case 1:
        /* All three wait, and none holds the lock. */
        assert_int_equal(list_len(&cond.waiters), 3);
        assert_int_equal(async_lock_locked(&lock), 0);
        spawn(10, OP_NOTIFY, &cond, 2);
        return 1;
    default:
        if (!cond_spawned && async_task_done(tasks[1])) {
            cond_spawned = 1;
            assert_int_equal(list_len(&cond.waiters), 1);
            spawn(11, OP_NOTIFY, &cond, -1);
        }
        return step < 20;
    }
}

/* notify(2) wakes the first two waiters, which re-acquire the lock one
 * after the other; notify_all wakes the last. */
static void test_condition_notify(void **state) {
    static const int want[] = {1,
                               2,
                               3,
                               10,
                               DONE + 10,
                               RELEASED + 10,
                               DONE + 1,
                               RELEASED + 1,
                               DONE + 2,
                               RELEASED + 2,
                               11,
                               DONE + 11,
                               RELEASED + 11,
                               DONE + 3,
                               RELEASED + 3};

    (void)state;
    cond_spawned = 0;
    assert_int_equal(async_lock_init(&lock), 0);
    assert_int_equal(async_condition_init(&cond, &lock), 0);
    drive(cond_steps);
    assert_events(want, 15);
    assert_int_equal(op_notified[10], 2);
    assert_int_equal(op_notified[11], 1);
    for (int id = 1; id <= 3; id++) {
        assert_int_equal(op_err[id], 0);
        assert_int_equal(op_locked[id], 1);
    }
    assert_int_equal(async_lock_locked(&lock), 0);
}

static int cond_cancel_steps(int step) {
    switch (step) {
    case 0:
        spawn(1, OP_COND, &cond, 0);
        return 1;
    case 1:
        spawn(5, OP_LOCK, &lock, 3);
        return 1;
    case 2:
        assert_int_equal(async_lock_locked(&lock), 1);
        assert_int_equal(async_cancel(tasks[0]), 1);
        return 1;
    case 3:
        /* Waiting for the lock now; cancelled again meanwhile. */
        assert_int_equal(list_len(&cond.waiters), 0);
        assert_int_equal(list_len(&lock.waiters), 1);
        assert_int_equal(async_cancel(tasks[0]), 1);
        return 1;
    default:
        return step < 12;
    }
}

/* A cancelled wait fails only once it holds the lock again: after the
 * task holding it has released it, even when cancelled twice. */
static void test_condition_cancel_reacquires(void **state) {
    static const int want[] = {1,          5,           DONE + 5, RELEASED + 5,
                               FAILED + 1, RELEASED + 1};

    (void)state;
    assert_int_equal(async_lock_init(&lock), 0);
    assert_int_equal(async_condition_init(&cond, &lock), 0);
    drive(cond_cancel_steps);
    assert_events(want, 6);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(op_locked[1], 1);
    assert_int_equal(async_lock_locked(&lock), 0);
}

static int cond_pass_steps(int step) {
    switch (step) {
    case 0:
        spawn(1, OP_COND, &cond, 0);
        spawn(2, OP_COND, &cond, 0);
        return 1;
    case 1:
        spawn(10, OP_NOTIFY, &cond, 1);
        return 1;
    case 2:
        /* Task 1 was notified but has not run: cancel it. */
        assert_int_equal(
            async__waiter_status(&frame_of(tasks[0])->_a1.cond.waiter),
            ASYNC__SYNC_GRANTED);
        assert_int_equal(list_len(&cond.waiters), 1);
        assert_int_equal(async_cancel(tasks[0]), 1);
        return 1;
    default:
        return step < 10;
    }
}

/* A notification that reaches a waiter cancelled before it runs is
 * passed on to the next waiter, not lost. */
static void test_condition_cancel_passes_notification(void **state) {
    static const int want[] = {1,
                               2,
                               10,
                               DONE + 10,
                               RELEASED + 10,
                               FAILED + 1,
                               RELEASED + 1,
                               DONE + 2,
                               RELEASED + 2};

    (void)state;
    assert_int_equal(async_lock_init(&lock), 0);
    assert_int_equal(async_condition_init(&cond, &lock), 0);
    drive(cond_pass_steps);
    assert_events(want, 9);
    assert_int_equal(op_notified[10], 1);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(op_locked[1], 1);
    assert_int_equal(op_err[2], 0);
    assert_int_equal(async_lock_locked(&lock), 0);
}

static int cond_bare_steps(int step) {
    if (step == 0)
        spawn(1, OP_COND_BARE, &cond, 0);
    return 0;
}

/* Waiting or notifying without the lock held is an error. */
static void test_condition_needs_lock(void **state) {
    static const int want[] = {1, FAILED + 1};

    (void)state;
    assert_int_equal(async_lock_init(&lock), 0);
    assert_int_equal(async_condition_init(&cond, &lock), 0);
    assert_int_equal(async_condition_notify(&cond, 1), ASYNC_EINVAL);
    assert_int_equal(async_condition_notify_all(&cond), ASYNC_EINVAL);
    drive(cond_bare_steps);
    assert_events(want, 2);
    assert_int_equal(op_err[1], ASYNC_EINVAL);
    assert_int_equal(async_lock_locked(&lock), 0);
}

/* ------------------------------------------------------------------ */
/* NULL                                                                */
/* ------------------------------------------------------------------ */

static int null_steps(int step) {
    if (step == 0) {
        spawn(1, OP_EVENT, NULL, 0);
        spawn(2, OP_LOCK, NULL, 0);
        spawn(3, OP_SEM, NULL, 0);
        spawn(4, OP_COND, NULL, 0);
    }
    return 0;
}

/* NULL objects: plain functions return ASYNC_EINVAL, awaits fail with
 * it without suspending. */
static void test_null_arguments(void **state) {
    static const int want[] = {1, FAILED + 1, 2, FAILED + 2,
                               3, FAILED + 3, 4, FAILED + 4};

    (void)state;
    assert_int_equal(async_event_init(NULL), ASYNC_EINVAL);
    assert_int_equal(async_event_set(NULL), ASYNC_EINVAL);
    assert_int_equal(async_event_clear(NULL), ASYNC_EINVAL);
    assert_int_equal(async_event_is_set(NULL), ASYNC_EINVAL);
    assert_int_equal(async_lock_init(NULL), ASYNC_EINVAL);
    assert_int_equal(async_lock_release(NULL), ASYNC_EINVAL);
    assert_int_equal(async_lock_locked(NULL), ASYNC_EINVAL);
    assert_int_equal(async_semaphore_init(NULL, 1), ASYNC_EINVAL);
    assert_int_equal(async_bounded_semaphore_init(NULL, 1), ASYNC_EINVAL);
    assert_int_equal(async_semaphore_release(NULL), ASYNC_EINVAL);
    assert_int_equal(async_semaphore_value(NULL), ASYNC_EINVAL);
    assert_int_equal(async_lock_init(&lock), 0);
    assert_int_equal(async_condition_init(NULL, &lock), ASYNC_EINVAL);
    assert_int_equal(async_condition_init(&cond, NULL), ASYNC_EINVAL);
    assert_int_equal(async_condition_notify(NULL, 1), ASYNC_EINVAL);
    assert_int_equal(async_condition_notify_all(NULL), ASYNC_EINVAL);
    drive(null_steps);
    assert_events(want, 8);
    for (int id = 1; id <= 4; id++)
        assert_int_equal(op_err[id], ASYNC_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_event_wakes_all, setup),
        cmocka_unit_test_setup(test_event_cancel, setup),
        cmocka_unit_test_setup(test_lock_fifo, setup),
        cmocka_unit_test_setup(test_lock_cancel_waiting, setup),
        cmocka_unit_test_setup(test_lock_cancel_after_handover, setup),
        cmocka_unit_test_setup(test_semaphore_counts, setup),
        cmocka_unit_test_setup(test_bounded_semaphore, setup),
        cmocka_unit_test_setup(test_semaphore_cancel_after_handover, setup),
        cmocka_unit_test_setup(test_condition_notify, setup),
        cmocka_unit_test_setup(test_condition_cancel_reacquires, setup),
        cmocka_unit_test_setup(test_condition_cancel_passes_notification,
                               setup),
        cmocka_unit_test_setup(test_condition_needs_lock, setup),
        cmocka_unit_test_setup(test_null_arguments, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
