/*
 * timeout.c -- async_timeout blocks (asyncio.timeout): a deadline on a
 * stretch of the current task rather than on one call.
 *
 * The block's timer sits in the loop's timer heap like a sleep's, but
 * when it fires it cancels the task instead of waking it: it is started
 * with a function to call (ASYNC__TIMER_CALL), which the timer holds
 * where a sleep's holds its task; the block keeps its task beside the
 * timer anyway.  Once cancelled, the task fails at the await it is
 * suspended in; the generated code sends that failure to the end of the
 * block, where exit tells a deadline's cancellation from another one.
 */
#include "internal.h"

#include <stddef.h>

/* The block's state bits, in its timer's owner int (which timers leave
 * alone), so the block costs a timer and a task pointer: 24 bytes. */
enum {
    EXPIRED = 1,  /* the deadline passed */
    REQUESTED = 2 /* the deadline's cancellation, not someone else's */
};

static void expire(async__timeout *s) {
    s->timer.owner |= EXPIRED;
    /* A cancellation already requested is someone else's: it stays
     * ASYNC_ECANCELED at the end of the block. */
    if (!(s->task->flags & ASYNC__TASK_CANCEL)) {
        s->timer.owner |= REQUESTED;
        async_cancel(s->task);
    }
}

/* The block's timer fired. */
static void deadline_passed(async__timer *timer) {
    expire((async__timeout *)((char *)timer - offsetof(async__timeout, timer)));
}

void async__timeout_enter(async__timeout *s, double seconds) {
    int armed;

    s->task = async__running;
    s->timer.owner = 0;
    s->timer.index = ASYNC__TIMER_NONE;
    if (s->task == NULL)
        return; /* not in a task: nothing to cancel */
    /* NaN is not > 0 either: no time. */
    armed = seconds > 0 &&
            async__timer_start_call(&s->timer, async__deadline_after(seconds),
                                    deadline_passed) == 0;
    if (!armed)
        expire(s); /* no time, or no memory for the timer: fail safe */
}

int async__timeout_exit(async__timeout *s, int code) {
    async__timer_stop(&s->timer);
    if (s->timer.owner & REQUESTED) {
        /* Not seen by any await: the block ended first. */
        s->task->flags &= ~ASYNC__TASK_CANCEL;
        if (code == ASYNC_ECANCELED)
            code = ASYNC_ETIMEDOUT;
    }
    s->timer.owner &= ~REQUESTED;
    return code;
}

int async__timeout_land(async__timeout *s, int *errp) {
    int code = async__timeout_exit(s, async__take_error());

    if (code == ASYNC_ETIMEDOUT && errp != NULL) {
        *errp = code;
        return ASYNC__READY;
    }
    return async__raise(code);
}
