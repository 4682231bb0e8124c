/*
 * async/ticker.h -- a periodic ticker on an absolute schedule, like
 * tokio's interval (included by async.h; do not include directly).
 *
 *     async_ticker t;
 *     async_ticker_init(&t, 0.01, ASYNC_TICK_BURST);
 *     for (;;) {
 *         uint64_t late = await(async_ticker_tick(&t));
 *         ...                                  -- every 10 ms
 *     }
 *
 * The schedule.  Tick k (k = 1, 2, ...) is due at start + k * period,
 * where start is the time of async_ticker_init (or of the last
 * async_ticker_reset): the first tick completes one period after the
 * start, and the time a task spends between ticks does not shift the
 * ticks after it, so there is no drift.  Times are whole nanoseconds on
 * the loop's monotonic clock; a tick completes on the first loop pass at
 * or after its deadline, never before.
 *
 * Missed ticks.  When a tick completes, `late` is the number of further
 * deadlines of the schedule that have passed too (a task that took long
 * between ticks, or a loop stalled by a blocking call): 0 when on time.
 * The await evaluates to `late`, and the mode says what happens to
 * those deadlines (tokio's MissedTickBehavior):
 * - ASYNC_TICK_BURST (the default, 0): they are not dropped: the next
 *   `late` awaits complete at once, without suspending, each
 *   evaluating to one less, until the ticker has caught up with its
 *   schedule.
 * - ASYNC_TICK_SKIP: they are dropped and counted as missed; the next
 *   tick is the first deadline of the schedule still ahead.
 * - ASYNC_TICK_DELAY: they are dropped and counted as missed, and the
 *   schedule restarts from the late tick: the next is due one period
 *   after the moment it completed.
 * For example, period P, started at 0, a task that ticks at P and then
 * blocks the loop until 4.5P: the next await completes at once for the
 * deadline 2P and evaluates to 2 (3P and 4P have passed too); then
 * BURST: two more awaits complete at once (evaluating to 1, then 0),
 * and the next is due at 5P; SKIP: the next is due at 5P, 2 ticks
 * missed; DELAY: the next is due at 4.5P + P, 2 ticks missed.
 *
 * The ticker is a caller-owned struct that allocates nothing; it may
 * outlive async_run and be reused in the next.  Several tasks may await
 * the same ticker: each deadline is delivered to one of them.
 */
#ifndef ASYNC_API_TICKER_H
#define ASYNC_API_TICKER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a ticker does with deadlines it could not meet (see above). */
enum { ASYNC_TICK_BURST = 0, ASYNC_TICK_SKIP = 1, ASYNC_TICK_DELAY = 2 };

/* A ticker.  Fields are private; read them with the functions below. */
typedef struct async_ticker {
    uint64_t period_ns;
    uint64_t start_ns; /* the last init or reset */
    uint64_t next_ns;  /* the next tick's deadline */
    uint64_t ticks;    /* ticks delivered */
    uint64_t missed;   /* deadlines dropped (SKIP and DELAY) */
    int mode;
} async_ticker;

/* Sets up `t` to tick every `period_seconds` (rounded to the nearest
 * nanosecond, at least 1) from now on, in `mode`.  Returns 0, or
 * ASYNC_EINVAL for a NULL t, a period that is not a positive finite
 * number of at most 2^62 nanoseconds (146 years), or an unknown mode.
 * May be called outside async_run. */
int async_ticker_init(async_ticker *t, double period_seconds, int mode);

/* Restarts the schedule from now: the next tick is due one period from
 * now (tokio's reset).  The counters are kept.  Returns 0, or
 * ASYNC_EINVAL for NULL.  A task waiting for a tick then waits for the
 * new deadline. */
int async_ticker_reset(async_ticker *t);

/* How many ticks `t` has delivered since it was set up; 0 for NULL. */
uint64_t async_ticker_ticks(const async_ticker *t);

/* How many deadlines `t` has dropped (SKIP and DELAY modes; always 0 in
 * BURST mode) since it was set up; 0 for NULL. */
uint64_t async_ticker_missed(const async_ticker *t);

#ifdef __ASYNCC__

/* Waits for the next tick of `t` and evaluates to `late`, the number
 * of the schedule's deadlines after it that have passed too (see
 * above).  Completes without suspending when the deadline has passed
 * already.  Errors: ASYNC_EINVAL for NULL, ASYNC_ENOMEM when its timer
 * cannot be armed (out of memory).  Cancellation-safe: a cancelled
 * await takes no tick (the deadline is still due for the next await),
 * fails with ASYNC_ECANCELED and leaves nothing armed. */
async uint64_t async_ticker_tick(async_ticker *t);

#endif /* __ASYNCC__ */

/* ------------------------------------------------------------------ */
/* Generated-code interface                                            */
/* ------------------------------------------------------------------ */

struct async_ticker_tick__frame {
    /* _state is the timer's owner int (as in async_sleep's frame): 32
     * bytes rather than 40.  The runtime writes it as timer.owner. */
    union {
        int _state;
        async__timer timer;
    };
    async_ticker *t;
    uint64_t _ret;
};
void async_ticker_tick__init(struct async_ticker_tick__frame *f,
                             async_ticker *t);
int async_ticker_tick__resume(void *frame);

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_TICKER_H */
