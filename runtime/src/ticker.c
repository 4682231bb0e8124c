/*
 * ticker.c -- async_ticker: deadlines start + k * period in whole
 * nanoseconds, so no rounding accumulates, and the missed-tick modes of
 * async/ticker.h.
 *
 * A tick is taken from the ticker only in the poll that completes its
 * await, which is what makes a cancelled await take none.  Completion
 * compares a fresh clock reading with the ticker's deadline as it is
 * then, so a reset (or another task taking the tick) while the await
 * waits only makes it wait for the new deadline.
 *
 * Frame states: 0 = not started; 1 = waiting for the timer; -1 = done.
 * The state is kept in the timer's owner int (the frame's _state).
 */
#include "internal.h"

#include <stdint.h>

/* 2^62 ns: room for a deadline of the schedule plus a period. */
#define PERIOD_MAX_NS ((uint64_t)1 << 62)

int async_ticker_init(async_ticker *t, double period_seconds, int mode) {
    double ns = period_seconds * 1e9;

    if (t == NULL || !(period_seconds > 0) || !(ns <= (double)PERIOD_MAX_NS) ||
        (mode != ASYNC_TICK_BURST && mode != ASYNC_TICK_SKIP &&
         mode != ASYNC_TICK_DELAY))
        return ASYNC_EINVAL;
    t->period_ns = (uint64_t)(ns + 0.5);
    if (t->period_ns == 0)
        t->period_ns = 1;
    t->mode = mode;
    t->ticks = 0;
    t->missed = 0;
    t->start_ns = async__clock_ns();
    t->next_ns = t->start_ns + t->period_ns;
    return 0;
}

int async_ticker_reset(async_ticker *t) {
    if (t == NULL)
        return ASYNC_EINVAL;
    t->start_ns = async__clock_ns();
    t->next_ns = t->start_ns + t->period_ns;
    return 0;
}

uint64_t async_ticker_ticks(const async_ticker *t) {
    return t != NULL ? t->ticks : 0;
}

uint64_t async_ticker_missed(const async_ticker *t) {
    return t != NULL ? t->missed : 0;
}

/* The tick due at t->next_ns, taken at `now`: the number of later
 * deadlines that have passed, and the next deadline by the mode. */
static uint64_t take_tick(async_ticker *t, uint64_t now) {
    uint64_t late = (now - t->next_ns) / t->period_ns;

    t->ticks++;
    switch (t->mode) {
    case ASYNC_TICK_SKIP:
        t->next_ns += (late + 1) * t->period_ns;
        t->missed += late;
        break;
    case ASYNC_TICK_DELAY:
        t->next_ns = now + t->period_ns;
        t->missed += late;
        break;
    default:
        t->next_ns += t->period_ns;
        break;
    }
    return late;
}

/* The frame's state: its timer's owner int, which timers leave alone. */
#define STATE(f) ((f)->timer.owner)

_Static_assert(sizeof(void *) != 8 ||
                   sizeof(struct async_ticker_tick__frame) == 32,
               "a tick's frame is its timer, the ticker and the result");

void async_ticker_tick__init(struct async_ticker_tick__frame *f,
                             async_ticker *t) {
    STATE(f) = 0;
    f->t = t;
    f->timer.deadline_ns = 0;
    f->timer.index = ASYNC__TIMER_NONE;
    f->_ret = 0;
}

int async_ticker_tick__resume(void *frame) {
    struct async_ticker_tick__frame *f = frame;
    uint64_t now;

    switch (STATE(f)) {
    case 0:
        if (f->t == NULL) {
            STATE(f) = -1;
            return async__raise(ASYNC_EINVAL);
        }
        break;
    case 1:
        if (async__cancel_seen()) {
            async__timer_stop(&f->timer);
            STATE(f) = -1;
            return ASYNC__FAILED;
        }
        if (f->timer.index != ASYNC__TIMER_NONE)
            return ASYNC__PENDING; /* a spurious poll */
        break;
    default:
        return ASYNC__READY;
    }
    now = async__clock_ns();
    if (now >= f->t->next_ns) {
        f->_ret = take_tick(f->t, now);
        STATE(f) = -1;
        return ASYNC__READY;
    }
    if (STATE(f) == 0 && async__cancel_seen()) {
        STATE(f) = -1;
        return ASYNC__FAILED;
    }
    if (async__timer_start(&f->timer, f->t->next_ns) != 0) {
        STATE(f) = -1;
        return async__raise(ASYNC_ENOMEM);
    }
    STATE(f) = 1;
    return ASYNC__PENDING;
}
