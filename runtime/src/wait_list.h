/*
 * wait_list.h -- the FIFO wait lists of sync.c and queue.c, and the
 * skeleton that every await on one of them shares.  Inline: a hand-over
 * between two tasks goes through them on every hop, and a call each
 * cost more than the list work itself.
 *
 * An await on a wait list has the states 0 = not started; 1 = its node
 * is on the object's list (WAITING), or was taken off it by whoever
 * handed it what it waited for (GRANTED) or by a close (CLOSED); -1 =
 * done.  Its resume function does, in state 0, its own checks (failing
 * with async__wait_fail) and completes at once when it can, or else
 * calls async__wait_start; in state 1 it calls async__wait_poll, which
 * applies the rules sync.h states for all of them, and completes when
 * that returns ASYNC__READY.  What differs from one await to the next is
 * what it takes at once, what it takes when granted, and what a
 * cancelled waiter passes on.
 */
#ifndef ASYNC_WAIT_LIST_H
#define ASYNC_WAIT_LIST_H

#include "internal.h"

#include <assert.h>
#include <errno.h>

_Static_assert(sizeof(async__sync_waiter) == 24, "a wait node is 24 bytes");

/* Makes `l` empty. */
static inline void async__wait_list_init(async__wait_list *l) {
    l->head = l->tail = NULL;
}

/* Makes `w` a node on no list, with no outcome (ASYNC__SYNC_IDLE). */
static inline void async__waiter_init(async__sync_waiter *w) {
    w->task = NULL;
    w->outcome = ASYNC__SYNC_IDLE;
    w->next = NULL;
}

/* Appends `w` for the running task: it is WAITING. */
static inline void async__wait_push(async__wait_list *l,
                                    async__sync_waiter *w) {
    w->task = async__running;
    w->next = async__wait_end(l);
    if (l->tail != NULL) {
        w->prev = l->tail;
        l->tail->next = w;
    } else {
        w->prev = async__wait_end(l);
        l->head = w;
    }
    l->tail = w;
}

/* Takes `w`, which is on a list, off it with `outcome` (ASYNC__SYNC_*,
 * not WAITING); returns the task it held.  The list is found through
 * the node's links when w is at one of its ends. */
static inline async_task *async__wait_unlink(async__sync_waiter *w,
                                             int outcome) {
    async_task *t = w->task;
    async__sync_waiter *prev = w->prev, *next = w->next;

    if (async__wait_is_end(prev))
        async__wait_list_of(prev)->head =
            async__wait_is_end(next) ? NULL : next;
    else
        prev->next = next;
    if (async__wait_is_end(next))
        async__wait_list_of(next)->tail =
            async__wait_is_end(prev) ? NULL : prev;
    else
        next->prev = prev;
    w->next = NULL;
    w->task = NULL;
    w->outcome = outcome; /* in place of prev, read above */
    return t;
}

/* Takes the first waiter off `l` with `outcome` (ASYNC__SYNC_GRANTED or
 * _CLOSED) and wakes its task.  Returns its node, in which the caller
 * may leave what it hands over; NULL when nobody waits. */
static inline async__sync_waiter *async__wait_settle_first(async__wait_list *l,
                                                           int outcome) {
    async__sync_waiter *w = l->head;

    if (w != NULL)
        async__wake(async__wait_unlink(w, outcome));
    return w;
}

/* Ends an await with the failure `code`: state -1, ASYNC__FAILED. */
static inline int async__wait_fail(int *state, int code) {
    *state = -1;
    return async__raise(code);
}

/* Ends an await that succeeded: state -1, ASYNC__READY. */
static inline int async__wait_done(int *state) {
    *state = -1;
    return ASYNC__READY;
}

/* State 0 of an await that cannot complete at once: a cancelled task
 * fails it there (ASYNC__FAILED); else `w` joins `l` and the await
 * suspends (state 1, ASYNC__PENDING). */
static inline int async__wait_start(async__wait_list *l, async__sync_waiter *w,
                                    int *state) {
    assert(async__running != NULL && "an await on a wait list outside a task");
    if (async__cancel_seen()) {
        *state = -1;
        return ASYNC__FAILED;
    }
    async__wait_push(l, w);
    *state = 1;
    return ASYNC__PENDING;
}

/* What a waiter cancelled after it was GRANTED does with what it was
 * handed, given its frame: passes it on to the next waiter, or back to
 * the object. */
typedef void (*async__wait_pass_fn)(void *frame);

/* State 1 of the await whose frame is `frame` and node `w`.
 * Cancellation first, even over a hand-over that has happened: the node
 * leaves `l` if it is still there, what it was granted goes to
 * pass_on(frame) (unless pass_on is NULL: nothing to give back), and the
 * await fails with ASYNC_ECANCELED.  Then: still WAITING (a spurious
 * poll): ASYNC__PENDING; CLOSED: fails with -EPIPE; GRANTED: returns
 * ASYNC__READY and the caller completes.  The node is IDLE again
 * whenever the await has ended. */
static inline int async__wait_poll(async__sync_waiter *w, int *state,
                                   async__wait_pass_fn pass_on, void *frame) {
    int status = async__waiter_status(w);

    if (async__cancel_seen()) {
        if (status == ASYNC__SYNC_WAITING)
            (void)async__wait_unlink(w, ASYNC__SYNC_IDLE);
        w->outcome = ASYNC__SYNC_IDLE;
        if (status == ASYNC__SYNC_GRANTED && pass_on != NULL)
            pass_on(frame);
        *state = -1;
        return ASYNC__FAILED;
    }
    if (status == ASYNC__SYNC_WAITING)
        return ASYNC__PENDING;
    w->outcome = ASYNC__SYNC_IDLE;
    if (status == ASYNC__SYNC_CLOSED)
        return async__wait_fail(state, -EPIPE);
    return ASYNC__READY;
}

#endif /* ASYNC_WAIT_LIST_H */
