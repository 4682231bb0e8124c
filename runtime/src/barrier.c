/*
 * barrier.c -- async_barrier, asyncio.Barrier: `parties` tasks meet, and
 * none goes on before all have arrived.
 *
 * The states are asyncio's: filling (tasks arrive and wait), draining
 * (the last one has arrived; the waiters leave one by one), resetting
 * (async_barrier_reset while tasks were inside: they leave failing) and
 * broken (async_barrier_abort).  `count` is the number of tasks inside a
 * wait, arrived and not yet left, as asyncio's is; a task takes its
 * index from it when it arrives, and the barrier goes back to filling
 * when the last one leaves.  A task arriving while the barrier drains or
 * resets waits outside (not counted) until it fills again.
 *
 * There is no lock: between two awaits nothing else runs.  Every change
 * of state wakes every waiter, and each, when it runs, looks at the
 * state then, not at the time it was woken: so a reset or an abort
 * after a release still fails the waiters that have not run yet, as in
 * asyncio.  One wait list holds both kinds of waiter, in arrival order;
 * a waiter knows by its index whether it is counted.
 */
#include "internal.h"
#include "wait_list.h"

#include <errno.h>

enum { FILLING = 0, DRAINING = 1, RESETTING = 2, BROKEN = 3 };

int async_barrier_init(async_barrier *b, int parties) {
    if (b == NULL || parties < 1)
        return ASYNC_EINVAL;
    b->parties = parties;
    b->count = 0;
    b->state = FILLING;
    async__wait_list_init(&b->waiters);
    return 0;
}

static void wake_all(async_barrier *b) {
    while (async__wait_settle_first(&b->waiters, ASYNC__SYNC_GRANTED) != NULL)
        ;
}

/* A counted task leaves: the last one out lets the barrier fill again
 * (unless it is broken), and the tasks waiting outside come in. */
static void leave(async_barrier *b) {
    if (--b->count == 0) {
        if (b->state == DRAINING || b->state == RESETTING)
            b->state = FILLING;
        wake_all(b);
    }
}

int async_barrier_reset(async_barrier *b) {
    if (b == NULL)
        return ASYNC_EINVAL;
    b->state = b->count > 0 ? RESETTING : FILLING;
    wake_all(b);
    return 0;
}

int async_barrier_abort(async_barrier *b) {
    if (b == NULL)
        return ASYNC_EINVAL;
    b->state = BROKEN;
    wake_all(b);
    return 0;
}

int async_barrier_parties(const async_barrier *b) {
    return b != NULL ? b->parties : ASYNC_EINVAL;
}

int async_barrier_n_waiting(const async_barrier *b) {
    if (b == NULL)
        return ASYNC_EINVAL;
    return b->state == FILLING ? b->count : 0;
}

int async_barrier_broken(const async_barrier *b) {
    if (b == NULL)
        return ASYNC_EINVAL;
    return b->state == BROKEN;
}

void async_barrier_wait__init(struct async_barrier_wait__frame *f,
                              async_barrier *b) {
    f->_state = 0;
    f->barrier = b;
    async__waiter_init(&f->waiter);
    f->index = -1;
    f->_ret = 0;
}

/* A task at the barrier, not counted yet: waits outside while it drains
 * or resets, fails when it is broken, else arrives: the last party
 * releases the others and leaves at once, the others wait, counted. */
static int arrive(struct async_barrier_wait__frame *f) {
    async_barrier *b = f->barrier;
    int r;

    if (b->state == DRAINING || b->state == RESETTING) {
        f->index = -1;
        return async__wait_start(&b->waiters, &f->waiter, &f->_state);
    }
    if (b->state == BROKEN)
        return async__wait_fail(&f->_state, -EPIPE);
    if (b->count + 1 == b->parties) {
        f->_ret = b->count++;
        b->state = DRAINING;
        wake_all(b);
        leave(b);
        return async__wait_done(&f->_state);
    }
    r = async__wait_start(&b->waiters, &f->waiter, &f->_state);
    if (r == ASYNC__PENDING)
        f->index = b->count++;
    return r;
}

int async_barrier_wait__resume(void *frame) {
    struct async_barrier_wait__frame *f = frame;
    async_barrier *b = f->barrier;
    int r;

    switch (f->_state) {
    case 0:
        if (b == NULL)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        return arrive(f);
    case 1:
        break;
    default:
        return ASYNC__READY;
    }
    r = async__wait_poll(&f->waiter, &f->_state, NULL, f);
    if (r == ASYNC__PENDING)
        return r;
    if (r == ASYNC__FAILED) {
        /* Cancelled: a counted task leaves, released or not. */
        if (f->index >= 0)
            leave(b);
        return r;
    }
    if (f->index < 0)
        return arrive(f);
    if (b->state == FILLING) {
        /* Woken, but still filling: wait on. */
        async__wait_push(&b->waiters, &f->waiter);
        return ASYNC__PENDING;
    }
    f->_ret = b->state == DRAINING ? f->index : -EPIPE;
    leave(b);
    if (f->_ret < 0)
        return async__wait_fail(&f->_state, -EPIPE);
    return async__wait_done(&f->_state);
}
