/*
 * async/sync.h -- synchronisation primitives and queues for tasks
 * (included by async.h; do not include directly).
 *
 * Events, locks, semaphores, conditions, barriers and queues, after
 * asyncio's.  Every object is a caller-owned struct initialised in place
 * (`async_lock l; async_lock_init(&l);`); nothing here allocates but an
 * unbounded queue's storage (async_queue_init_unbounded).  The
 * node by which a task waits on an object lives in the frame of the
 * awaiting call, so an object must not be moved while tasks wait on it,
 * and it is unusable after an async_run() that returned while tasks still
 * waited on it (initialise it again).
 *
 * Common rules:
 * - Waiters are served in the order they started waiting (FIFO).
 * - An await that can complete at once does so without suspending; one
 *   that has to wait honours cancellation: it leaves the object's wait
 *   list and fails with ASYNC_ECANCELED, without having taken anything
 *   (no lock, no permit, no item; a put inserts nothing).  When the thing
 *   waited for was already handed over to the cancelled waiter, it passes
 *   it on to the next waiter (or back to the object): cancellation wins.
 * - A NULL object pointer makes a plain function return ASYNC_EINVAL and
 *   an await fail with ASYNC_EINVAL.
 * - Like everything in asyncrt, these belong to the loop's thread.
 */
#ifndef ASYNC_API_SYNC_H
#define ASYNC_API_SYNC_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Wait lists (private to asyncrt)                                     */
/* ------------------------------------------------------------------ */

/* async__sync_waiter.status */
enum {
    ASYNC__SYNC_IDLE = 0,    /* not on any list */
    ASYNC__SYNC_WAITING = 1, /* on the object's wait list */
    ASYNC__SYNC_GRANTED = 2, /* taken off the list and handed what it waited
                                for (the lock, a permit, an item...) */
    ASYNC__SYNC_CLOSED = 3   /* taken off the list by async_queue_close */
};

/* A task waiting on an object, embedded in the awaiting frame: 24
 * bytes, so a task blocked on an event costs its header and a 40-byte
 * frame.  On a wait list, a node needs its task (to hand over to) and
 * both links (to leave in O(1) when cancelled, without knowing the
 * list: the first node's prev and the last one's next are the list
 * itself, tagged, see async__wait_end).  Taken off the list, it needs
 * none of them (its task has been woken) but the outcome, which takes
 * the back link's place; `task` tells which is there: it is NULL off
 * the list.  A queue's getter receives its item in its frame's _ret. */
typedef struct async__sync_waiter {
    async_task *task; /* the waiting task while on a list, else NULL */
    union {
        struct async__sync_waiter *prev; /* on a list */
        int outcome; /* off it: ASYNC__SYNC_IDLE, _GRANTED or _CLOSED */
    };
    struct async__sync_waiter *next;
} async__sync_waiter;

/* The status of `w`: ASYNC__SYNC_*. */
static inline int async__waiter_status(const async__sync_waiter *w) {
    return w->task != NULL ? ASYNC__SYNC_WAITING : w->outcome;
}

/* A FIFO of waiters: doubly linked, so a cancelled waiter leaves in
 * O(1).  Empty, both are NULL (a zeroed list is an empty list). */
typedef struct async__wait_list {
    async__sync_waiter *head;
    async__sync_waiter *tail;
} async__wait_list;

/* What the nodes at the ends of `l` link to in place of NULL: `l`
 * itself with its lowest bit set, so a node leaves its list without
 * being told which it is.  Never dereferenced as a node. */
static inline async__sync_waiter *async__wait_end(async__wait_list *l) {
    return (async__sync_waiter *)(void *)((char *)l + 1);
}
static inline int async__wait_is_end(const async__sync_waiter *w) {
    return ((uintptr_t)(const void *)w & 1) != 0;
}
static inline async__wait_list *async__wait_list_of(async__sync_waiter *end) {
    return (async__wait_list *)(void *)((char *)end - 1);
}
/* The node after `w` on its list, or NULL after the last one. */
static inline async__sync_waiter *
async__wait_next(const async__sync_waiter *w) {
    return async__wait_is_end(w->next) ? NULL : w->next;
}

/* The operations on wait lists are asyncrt's own (runtime/src). */

/* ------------------------------------------------------------------ */
/* Objects                                                             */
/* ------------------------------------------------------------------ */

/* asyncio.Event: a flag that tasks can wait for.  Fields are private. */
typedef struct async_event {
    int is_set;
    async__wait_list waiters;
} async_event;

/* asyncio.Lock: a mutual-exclusion lock without an owner (any task may
 * release it, as in asyncio).  On release the lock is handed directly to
 * the first waiter, so a task that calls acquire meanwhile cannot barge
 * in.  Fields are private. */
typedef struct async_lock {
    int locked;
    async__wait_list waiters;
} async_lock;

/* asyncio.Semaphore and BoundedSemaphore.  Fields are private. */
typedef struct async_semaphore {
    int value; /* permits available */
    int bound; /* initial value when bounded, else -1 */
    async__wait_list waiters;
} async_semaphore;

/* asyncio.Condition, bound to a lock.  Fields are private. */
typedef struct async_condition {
    async_lock *lock;
    async__wait_list waiters;
} async_condition;

/* asyncio.Queue: a FIFO of `void *` items, bounded in storage the
 * caller provides (async_queue_init) or unbounded in storage allocated
 * from the heap (async_queue_init_unbounded).  Fields are private. */
typedef struct async_queue {
    void **slots;             /* the caller's array of `capacity` items, or
                                 the unbounded queue's ring */
    size_t capacity;          /* > 0; unbounded: the ring's size, or 0 */
    size_t head;              /* index of the first item */
    size_t count;             /* items in slots */
    size_t used;              /* room taken: count, the items handed to
                                 getters not yet resumed and the slots
                                 granted to putters not yet resumed */
    size_t unfinished;        /* items put and not yet marked done */
    int closed;               /* async_queue_close was called */
    int unbounded;            /* puts never wait; the ring grows */
    async__wait_list getters; /* waiting for an item */
    async__wait_list putters; /* waiting for room */
    async__wait_list joiners; /* waiting for unfinished == 0 */
} async_queue;

/* asyncio.Barrier: `parties` tasks wait until all have arrived.  Fields
 * are private. */
typedef struct async_barrier {
    int parties;
    int count; /* tasks inside a wait: arrived and not yet left */
    int state; /* filling, draining, resetting or broken (barrier.c) */
    async__wait_list waiters;
} async_barrier;

/* ------------------------------------------------------------------ */
/* The awaitables, as the dialect sees them                            */
/* ------------------------------------------------------------------ */

#ifdef __ASYNCC__
/* Waits until event `e` is set; evaluates to 0.  Returns at once when it
 * is set already.  A waiter woken by async_event_set succeeds even if the
 * event was cleared again before it ran.  Errors: ASYNC_EINVAL (NULL),
 * ASYNC_ECANCELED. */
async int async_event_wait(async_event *e);

/* Acquires lock `l`, waiting in FIFO order while it is locked; evaluates
 * to 0.  Errors: ASYNC_EINVAL (NULL), ASYNC_ECANCELED.  A cancelled
 * acquire never holds the lock: if the lock had already been handed to
 * it when the cancellation arrived, it releases it to the next waiter
 * before failing. */
async int async_lock_acquire(async_lock *l);

/* Takes one permit of semaphore `s`, waiting in FIFO order while there
 * is none; evaluates to 0.  Errors: ASYNC_EINVAL (NULL),
 * ASYNC_ECANCELED; a cancelled acquire holds no permit (one already
 * handed to it goes to the next waiter). */
async int async_semaphore_acquire(async_semaphore *s);

/* With c's lock held: releases the lock, waits until notified, and
 * re-acquires the lock before it returns, whether it succeeds or fails
 * with ASYNC_ECANCELED (as asyncio does); evaluates to 0.  Errors:
 * ASYNC_EINVAL (NULL, or the lock is not locked: locks have no owner, so
 * only that is checked; the wait then fails at once),
 * ASYNC_ECANCELED.  A waiter cancelled after it was notified passes the
 * notification on to the next waiter. */
async int async_condition_wait(async_condition *c);

/* asyncio's Condition.wait_for: with c's lock held, calls pred(arg);
 * while it returns 0, waits as async_condition_wait does (the lock
 * released meanwhile, re-acquired before pred is called again) and
 * calls it again after each wake-up.  Evaluates to pred's last (nonzero)
 * value, with the lock held; completes at once, without suspending,
 * when pred is nonzero at the start.  pred runs in the awaiting task,
 * with the lock held, and must not await.  Errors: ASYNC_EINVAL (c or
 * pred NULL, or the lock not locked; nothing is called then),
 * ASYNC_ECANCELED: a cancelled wait fails only once the lock is held
 * again, as async_condition_wait does, without calling pred again. */
async int async_condition_wait_for(async_condition *c, int (*pred)(void *arg),
                                   void *arg);

/* asyncio's Barrier.wait: the calling task arrives at barrier `b` and
 * waits until `parties` tasks have arrived; evaluates to its arrival
 * index, 0 for the first to arrive to parties - 1 for the last, which
 * releases the others and returns at once without suspending.  The
 * index is the number of tasks inside a wait when it arrived, as in
 * asyncio: a task that left by cancellation makes room, so the next to
 * arrive takes an index again that a task still waiting has.  Released
 * tasks leave one by one as they run; the barrier fills again (a new
 * cycle) once the last has left; tasks that arrive before that wait
 * first, then arrive in their order.  Errors: ASYNC_EINVAL (NULL); -EPIPE
 * (asyncio's BrokenBarrierError): the barrier is broken
 * (async_barrier_abort) when the task arrives or before it has run
 * after its release, or was reset (async_barrier_reset) while the task
 * was inside; ASYNC_ECANCELED: a task cancelled while it waits to be
 * released leaves (the count of waiting tasks goes down), and one
 * cancelled after its release but before it ran fails all the same,
 * while the others go on (as asyncio does). */
async int async_barrier_wait(async_barrier *b);

/* Puts `item` at the back of queue `q`, waiting in FIFO order while it
 * is full; evaluates to 0.  A put into an unbounded queue never waits
 * (so it never suspends and never sees a cancellation).  Errors:
 * ASYNC_EINVAL (NULL queue), -EPIPE (the queue is closed, or was closed
 * while the put waited), ASYNC_ENOMEM (unbounded queue: its storage
 * could not grow), ASYNC_ECANCELED.  A put that fails inserts
 * nothing. */
async int async_queue_put(async_queue *q, void *item);

/* Takes the item at the front of queue `q`, waiting in FIFO order while
 * it is empty; evaluates to the item.  Errors: ASYNC_EINVAL (NULL),
 * -EPIPE (the queue is closed and empty: closing wakes the getters that
 * wait), ASYNC_ECANCELED.  A cancelled get takes nothing: an item already
 * handed to it goes back to the front of the queue. */
async void *async_queue_get(async_queue *q);

/* Waits until every item put into `q` has been marked done with
 * async_queue_task_done; evaluates to 0, at once when none is
 * outstanding.  Closing the queue does not end the wait.  Errors:
 * ASYNC_EINVAL (NULL), ASYNC_ECANCELED. */
async int async_queue_join(async_queue *q);
#endif /* __ASYNCC__ */

/* ------------------------------------------------------------------ */
/* Plain functions                                                     */
/* ------------------------------------------------------------------ */

/* Initialises `e`, not set.  Returns 0, or ASYNC_EINVAL for NULL. */
int async_event_init(async_event *e);
/* Sets `e` and wakes every task waiting for it.  Returns 0, or
 * ASYNC_EINVAL for NULL. */
int async_event_set(async_event *e);
/* Clears `e`: waits after this block until the next set.  Returns 0, or
 * ASYNC_EINVAL for NULL. */
int async_event_clear(async_event *e);
/* 1 when `e` is set, 0 when not, ASYNC_EINVAL for NULL. */
int async_event_is_set(const async_event *e);

/* Initialises `l`, unlocked.  Returns 0, or ASYNC_EINVAL for NULL. */
int async_lock_init(async_lock *l);
/* Releases `l`: the first waiting task gets it, else it is unlocked.
 * Returns 0, or ASYNC_EINVAL for NULL or a lock that is not locked. */
int async_lock_release(async_lock *l);
/* 1 when `l` is locked (or handed to a waiter that has not run yet), 0
 * when not, ASYNC_EINVAL for NULL. */
int async_lock_locked(const async_lock *l);

/* Initialises `s` with `value` permits (asyncio.Semaphore).  Returns 0,
 * or ASYNC_EINVAL for NULL or a negative value. */
int async_semaphore_init(async_semaphore *s, int value);
/* Like async_semaphore_init, for a semaphore that may never hold more
 * than `value` permits (asyncio.BoundedSemaphore). */
int async_bounded_semaphore_init(async_semaphore *s, int value);
/* Returns a permit: the first waiting task gets it, else the count goes
 * up.  Returns 0, or ASYNC_EINVAL for NULL, for a bounded semaphore
 * already at its initial value, or when the count would overflow. */
int async_semaphore_release(async_semaphore *s);
/* The permits available now (0 while tasks wait), or ASYNC_EINVAL for
 * NULL. */
int async_semaphore_value(const async_semaphore *s);

/* Initialises `c` bound to lock `l`, which the caller initialises and
 * keeps alive.  Returns 0, or ASYNC_EINVAL when either is NULL. */
int async_condition_init(async_condition *c, async_lock *l);
/* With the lock held: wakes up to `n` waiting tasks, first come first
 * served; each re-acquires the lock before its wait returns.  Returns
 * how many were woken, or ASYNC_EINVAL for NULL or when the lock is not
 * locked. */
int async_condition_notify(async_condition *c, int n);
/* async_condition_notify for every waiting task. */
int async_condition_notify_all(async_condition *c);

/* Initialises `b` for `parties` tasks, filling.  Returns 0, or
 * ASYNC_EINVAL for NULL or parties < 1. */
int async_barrier_init(async_barrier *b, int parties);
/* asyncio's Barrier.reset (not awaited: it never waits): when tasks are
 * inside a wait, they fail with -EPIPE as they run, and the barrier
 * fills again once they have left (tasks arriving meanwhile wait for
 * that); when none is, it is filling at once, broken or not.  Returns
 * 0, or ASYNC_EINVAL for NULL. */
int async_barrier_reset(async_barrier *b);
/* asyncio's Barrier.abort (not awaited): the barrier is broken; the
 * waiting tasks, and every later async_barrier_wait until a reset, fail
 * with -EPIPE.  Returns 0, or ASYNC_EINVAL for NULL. */
int async_barrier_abort(async_barrier *b);
/* The number of parties; ASYNC_EINVAL for NULL. */
int async_barrier_parties(const async_barrier *b);
/* asyncio's n_waiting: the tasks waiting to be released while the
 * barrier is filling, else 0; ASYNC_EINVAL for NULL. */
int async_barrier_n_waiting(const async_barrier *b);
/* 1 when broken, 0 when not, ASYNC_EINVAL for NULL. */
int async_barrier_broken(const async_barrier *b);

/* Initialises `q` as an empty, open queue of at most `capacity` items
 * stored in `slots` (an array of `capacity` pointers that the caller
 * keeps alive).  Returns 0, or ASYNC_EINVAL for NULL, a capacity of 0 or
 * one over PTRDIFF_MAX. */
int async_queue_init(async_queue *q, void **slots, size_t capacity);
/* Initialises `q` as an empty, open, unbounded queue (asyncio.Queue()
 * with no maxsize): puts never wait, and its storage comes from malloc,
 * allocated by the first put and doubled (8, 16, 32... pointers) by a
 * put that finds it full; it never shrinks.  Everything else (get,
 * task_done, join, close, size, the nowait forms) behaves as for a
 * bounded queue.  Init allocates nothing; call async_queue_free when the
 * queue is no longer used, closed or not (closing frees nothing).
 * Returns 0, or ASYNC_EINVAL for NULL. */
int async_queue_init_unbounded(async_queue *q);
/* Ends the use of `q`: frees the storage of an unbounded queue (a
 * bounded queue's slots are the caller's and are left alone); the items
 * still in it are dropped.  The queue must be initialised again before
 * any other use.  Returns 0; -EBUSY, freeing nothing, while a task waits
 * on the queue (a get, put or join in progress, or a getter handed an
 * item that has not run yet); ASYNC_EINVAL for NULL. */
int async_queue_free(async_queue *q);
/* Puts `item` without waiting.  Returns 0, -EAGAIN when the queue is
 * full (never for an unbounded queue), -EPIPE when it is closed,
 * ASYNC_ENOMEM when an unbounded queue's storage cannot grow,
 * ASYNC_EINVAL for NULL. */
int async_queue_put_nowait(async_queue *q, void *item);
/* Takes the front item into *item without waiting.  Returns 0, -EAGAIN
 * when the queue is empty and open, -EPIPE when it is empty and closed,
 * ASYNC_EINVAL when q or item is NULL. */
int async_queue_get_nowait(async_queue *q, void **item);
/* The number of items in the queue (not counting those handed to getters
 * that have not run yet), or ASYNC_EINVAL for NULL. */
ptrdiff_t async_queue_size(const async_queue *q);
/* Marks one item got from the queue as processed; when none is left
 * unfinished, wakes the tasks in async_queue_join.  Returns 0, or
 * ASYNC_EINVAL for NULL or when called more times than items were put. */
int async_queue_task_done(async_queue *q);
/* asyncio's Queue.shutdown(): from now on puts fail with -EPIPE, and
 * gets fail with -EPIPE once the items already queued have been got.
 * Waiting putters and getters wake and fail with -EPIPE.  Joiners are
 * not woken.  Closing again does nothing.  Returns 0, or ASYNC_EINVAL
 * for NULL. */
int async_queue_close(async_queue *q);

/* ------------------------------------------------------------------ */
/* Frames of the awaitables (generated-code interface)                 */
/* ------------------------------------------------------------------ */

/* Until its first resume, the frame keeps the event in waiter.next (a
 * node off any list has no use for it); then the node's links reach
 * the event's list when they need to. */
struct async_event_wait__frame {
    int _state;
    int _ret;
    async__sync_waiter waiter;
};
void async_event_wait__init(struct async_event_wait__frame *f, async_event *e);
int async_event_wait__resume(void *frame);

struct async_lock_acquire__frame {
    int _state;
    int _ret;
    async_lock *lock;
    async__sync_waiter waiter;
};
void async_lock_acquire__init(struct async_lock_acquire__frame *f,
                              async_lock *l);
int async_lock_acquire__resume(void *frame);

struct async_semaphore_acquire__frame {
    int _state;
    int _ret;
    async_semaphore *sem;
    async__sync_waiter waiter;
};
void async_semaphore_acquire__init(struct async_semaphore_acquire__frame *f,
                                   async_semaphore *s);
int async_semaphore_acquire__resume(void *frame);

struct async_condition_wait__frame {
    int _state;
    async_condition *cond;
    async__sync_waiter waiter;
    int err; /* the failure to report once the lock is held again */
    struct async_lock_acquire__frame acquire;
    int _ret;
};
void async_condition_wait__init(struct async_condition_wait__frame *f,
                                async_condition *c);
int async_condition_wait__resume(void *frame);

struct async_condition_wait_for__frame {
    int _state;
    async_condition *cond;
    int (*pred)(void *arg);
    void *arg;
    struct async_condition_wait__frame wait;
    int _ret;
};
void async_condition_wait_for__init(struct async_condition_wait_for__frame *f,
                                    async_condition *c, int (*pred)(void *arg),
                                    void *arg);
int async_condition_wait_for__resume(void *frame);

struct async_barrier_wait__frame {
    int _state;
    async_barrier *barrier;
    async__sync_waiter waiter;
    int index; /* the arrival index once counted, else -1 */
    int _ret;
};
void async_barrier_wait__init(struct async_barrier_wait__frame *f,
                              async_barrier *b);
int async_barrier_wait__resume(void *frame);

struct async_queue_put__frame {
    int _state;
    int _ret;
    async_queue *queue;
    void *item;
    async__sync_waiter waiter;
};
/* async_queue_put__init and __resume: inline, in async.h's "Fast
 * paths". */

struct async_queue_get__frame {
    int _state;
    async_queue *queue;
    async__sync_waiter waiter;
    void *_ret; /* also where a put hands the item over */
};
/* async_queue_get__init and __resume: inline, in async.h's "Fast
 * paths". */

struct async_queue_join__frame {
    int _state;
    int _ret;
    async_queue *queue;
    async__sync_waiter waiter;
};
void async_queue_join__init(struct async_queue_join__frame *f, async_queue *q);
int async_queue_join__resume(void *frame);

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_SYNC_H */
