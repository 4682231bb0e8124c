/*
 * wait_for.c -- async_wait_for(call, seconds): the call runs as a child
 * task embedded in the waiting frame (a gather of one), against a timer
 * of the waiting task.  If the timer fires first, the child is cancelled
 * and, once it has stopped (its frame lives in ours), the await fails
 * with ASYNC_ETIMEDOUT.  A child that completes in the same pass as the
 * timer wins: its result is kept, as asyncio.wait_for keeps it.
 */
#include "internal.h"

/* The state bits, in the timer's owner int (which timers leave alone):
 * the frame costs a gather and a timer, nothing more. */
enum {
    STARTED = 1,  /* the timer was armed (first poll) */
    TIMED_OUT = 2 /* the deadline passed: the child was cancelled */
};

void async__wait_for_init(async__wait_for *w, double seconds) {
    async__gather_init(&w->g);
    w->timer.owner = 0;
    /* The time allowed waits in the timer until the first poll. */
    w->timer.deadline_ns = async__ns_from_seconds(seconds);
    w->timer.index = ASYNC__TIMER_NONE;
}

void async__wait_for_add(async__wait_for *w, async__child *child,
                         async__poll_fn poll, void *frame, const char *name) {
    async__gather_add(&w->g, child, poll, frame, name);
}

static void time_out(async__wait_for *w) {
    w->timer.owner |= TIMED_OUT;
    for (async__child *c = w->g.children; c != NULL; c = c->next)
        async_cancel(&c->task);
}

int async__wait_for_poll(async__wait_for *w) {
    if (!(w->timer.owner & STARTED)) {
        w->timer.owner |= STARTED;
        /* 0, negative or NaN seconds: the call gets no time at all. */
        if (w->timer.deadline_ns == 0)
            time_out(w);
        else if (async__timer_start(&w->timer,
                                    async__deadline_in(w->timer.deadline_ns)))
            time_out(w); /* no memory for the timer: fail safe */
    } else if (!(w->timer.owner & TIMED_OUT) &&
               w->timer.index == ASYNC__TIMER_NONE) {
        time_out(w); /* the timer fired */
    }
    int r = async__gather_poll(&w->g);
    if (r == ASYNC__PENDING)
        return r;
    async__timer_stop(&w->timer);
    if (r == ASYNC__FAILED && (w->timer.owner & TIMED_OUT) &&
        async__running->error == ASYNC_ECANCELED) {
        async__take_error();
        return async__raise(ASYNC_ETIMEDOUT);
    }
    return r;
}
