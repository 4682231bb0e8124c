/*
 * wait_list.h -- the FIFO wait lists that sync.c and queue.c share, inline:
 * a hand-over between two tasks goes through them on every hop, and a
 * call each cost more than the list work itself.
 *
 * async__wait_push appends `w` for the running task (status WAITING);
 * async__wait_pop takes the first waiter off (status left to the caller;
 * NULL when empty); async__wait_remove takes `w` off wherever it is
 * (status IDLE).
 *
 * The waiting step every await on a wait list shares; the caller has
 * checked that it cannot complete at once.  async__wait_start:
 * cancellation first -- a cancelled task fails the await there (*state =
 * -1, returns ASYNC__FAILED); else appends `w` and suspends (*state = 1,
 * returns ASYNC__PENDING).  async__wait_leave_cancelled: on a poll that
 * found a cancellation request, takes `w` off `l` if it is still on it
 * (status IDLE).  Returns 1 when `w` had been GRANTED already: the
 * caller passes on what it was handed (cancellation wins).
 */
#ifndef ASYNC_WAIT_LIST_H
#define ASYNC_WAIT_LIST_H

#include "internal.h"

static inline void async__wait_push(async__wait_list *l,
                                    async__sync_waiter *w) {
    w->task_status = (uintptr_t)async__running;
    w->next = NULL;
    w->prev = l->tail;
    if (l->tail != NULL)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
    async__waiter_set_status(w, ASYNC__SYNC_WAITING);
}

static inline void async__wait_remove(async__wait_list *l,
                                      async__sync_waiter *w) {
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        l->head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        l->tail = w->prev;
    w->prev = w->next = NULL;
    async__waiter_set_status(w, ASYNC__SYNC_IDLE);
}

static inline async__sync_waiter *async__wait_pop(async__wait_list *l) {
    async__sync_waiter *w = l->head;

    if (w != NULL)
        async__wait_remove(l, w);
    return w;
}

static inline int async__wait_start(async__wait_list *l, async__sync_waiter *w,
                                    int *state) {
    if (async__cancel_seen()) {
        *state = -1;
        return ASYNC__FAILED;
    }
    async__wait_push(l, w);
    *state = 1;
    return ASYNC__PENDING;
}

static inline int async__wait_leave_cancelled(async__wait_list *l,
                                              async__sync_waiter *w) {
    int granted = async__waiter_status(w) == ASYNC__SYNC_GRANTED;

    if (async__waiter_status(w) == ASYNC__SYNC_WAITING)
        async__wait_remove(l, w);
    async__waiter_set_status(w, ASYNC__SYNC_IDLE);
    return granted;
}

#endif /* ASYNC_WAIT_LIST_H */
