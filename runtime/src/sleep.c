/*
 * sleep.c -- async_sleep(): a frame holding a timer that wakes its task.
 *
 * States: 0 = not started; 1 = waiting for the timer (or, for a zero
 * sleep, for the one yield); 2 = the timer heap could not grow, so the
 * frame re-queues itself and checks the clock on every pass until the
 * timer can be armed or the deadline passes; -1 = done.
 *
 * The frame is its timer, 16 bytes: the state lives in the timer's
 * owner int (4 bytes the timer leaves free, padding otherwise), and the
 * length of the sleep waits in the timer's deadline field until the
 * first resume turns it into the deadline.  A sleeping task's frame
 * thus costs 8 bytes less than a separate int and timer would.
 *
 * A sleep always suspends, so it honours a cancellation request on every
 * poll, the first included: it stops its timer and fails with
 * ASYNC_ECANCELED, even when the timer has fired meanwhile.
 */
#include "internal.h"

#include <assert.h>

_Static_assert(sizeof(struct async_sleep__frame) == 16,
               "a sleep's frame is its 16-byte timer");

/* The frame's state: the timer's owner int, first in the frame. */
#define STATE(f) ((f)->timer.owner)

static int sleep_arm(struct async_sleep__frame *f) {
    if (async__timer_start(&f->timer, f->timer.deadline_ns) == 0) {
        STATE(f) = 1;
        return ASYNC__PENDING;
    }
    /* Out of memory: degrade to polling rather than fail the sleep. */
    STATE(f) = 2;
    async__wake(async__running);
    return ASYNC__PENDING;
}

void async_sleep__init(struct async_sleep__frame *f, double seconds) {
    STATE(f) = 0;
    f->timer.deadline_ns = async__ns_from_seconds(seconds);
    f->timer.index = ASYNC__TIMER_NONE;
}

static int sleep_cancelled(struct async_sleep__frame *f) {
    async__timer_stop(&f->timer);
    STATE(f) = -1;
    return ASYNC__FAILED;
}

int async_sleep__resume(void *frame) {
    struct async_sleep__frame *f = frame;

    if (STATE(f) >= 0 && async__cancel_seen())
        return sleep_cancelled(f);
    switch (STATE(f)) {
    case 0:
        assert(async__running != NULL && "async_sleep outside a task");
        /* 0, negative or NaN seconds: yield once. */
        if (f->timer.deadline_ns == 0) {
            async__wake(async__running);
            STATE(f) = 1;
            return ASYNC__PENDING;
        }
        f->timer.deadline_ns = async__deadline_in(f->timer.deadline_ns);
        return sleep_arm(f);
    case 1:
        /* Polled before the timer fired: keep waiting. */
        if (f->timer.index != ASYNC__TIMER_NONE)
            return ASYNC__PENDING;
        break;
    case 2:
        /* A reading from this pass or later, so never early. */
        if (async__loop_now() < f->timer.deadline_ns)
            return sleep_arm(f);
        break;
    default:
        return ASYNC__READY;
    }
    STATE(f) = -1;
    return ASYNC__READY;
}
