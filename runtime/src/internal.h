/*
 * internal.h -- what the runtime's source files share and generated code
 * must not see: task state bits, the clock, timers and the task
 * lifecycle hooks between loop.c and task.c.
 */
#ifndef ASYNC_INTERNAL_H
#define ASYNC_INTERNAL_H

#include <async.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "timer_heap.h"

/* A split task keeps its frame's address right after its header
 * (async__task_frame reads it there), and once it has finished its
 * result at ASYNC__SPLIT_RESULT, aligned for any type. */
enum { ASYNC__SPLIT_RESULT = 32 };
static inline void *async__split_frame(async_task *t) {
    return *(void **)(void *)(t + 1);
}

/* The task flags (ASYNC__TASK_*), the ready queue,
 * async__running, async__wake and async__cancel_seen are in async.h's
 * fast paths, which generated code inlines. */

/* t's root frame (async__task_frame). */
static inline void *async__task_frame_of(async_task *t) {
    return async__task_frame(t);
}

/* Where t's result is: in its frame, or, for a finished split task
 * (whose frame is freed), kept after the split header. */
static inline char *async__task_result_at(async_task *t) {
    const unsigned kept =
        ASYNC__TASK_HEAP | ASYNC__TASK_SPLIT | ASYNC__TASK_DONE;

    if ((t->flags & kept) == kept)
        return (char *)t + ASYNC__SPLIT_RESULT;
    return (char *)async__task_frame_of(t) + t->fn->result_offset;
}

/* task_waiters.c: the nodes waiting for a task's end.  Links `w` on
 * t's list (w->of = t; on_done set by the caller), at its end when
 * `at_end`, else at its front; never fails. */
void async__waiter_link(async_task *t, async__waiter *w, int at_end);
/* Takes `w` off the list of w->of, which must still exist; does
 * nothing when w is not on it (t has finished, or w was never linked). */
void async__waiter_unlink(async__waiter *w);
/* Takes all of t's nodes off its list, in order, linked through next;
 * NULL when it has none.  For the end of t. */
async__waiter *async__waiters_take(async_task *t);
/* The node after `w` on t's list, or its first when w is NULL; NULL at
 * the end.  For tests and the dump. */
async__waiter *async__waiter_next(async_task *t, async__waiter *w);

/* clock.c: the monotonic clock in nanoseconds. */
uint64_t async__clock_ns(void);

/* clock.c: `seconds` in nanoseconds, rounded up, so at least 1 when
 * seconds > 0; 0 when seconds is 0, negative or NaN; lengths past 2^63
 * ns (292 years) saturate at UINT64_MAX. */
uint64_t async__ns_from_seconds(double seconds);

/* clock.c: the deadline `ns` nanoseconds after now, a fresh clock
 * reading (so a timer started with it never fires early), saturating
 * at UINT64_MAX. */
uint64_t async__deadline_in(uint64_t ns);

/* clock.c: async__deadline_in(async__ns_from_seconds(seconds)), for
 * seconds > 0. */
uint64_t async__deadline_after(double seconds);

/* loop.c: a clock reading no older than the start of the current loop
 * pass: the one due timers were checked against, or, in a pass that
 * had no timer to check, a reading taken at the first call. */
uint64_t async__loop_now(void);

/* async__timer.kind: what a timer does when it fires. */
enum {
    ASYNC__TIMER_WAKE = 0, /* wakes the task that started it */
    ASYNC__TIMER_CALL = 1  /* calls its on_fire */
};

/* loop.c: timers.  start arms `timer` for the task being polled, to wake
 * it at `deadline_ns`; start_call arms it to call on_fire(timer)
 * instead, for an owner that knows better what firing means (the
 * deadline is back in timer->deadline_ns by then).  Both return 0, or
 * -ENOMEM when the timer heap cannot grow.  While a timer is armed its
 * index is not ASYNC__TIMER_NONE; when it fires or is stopped, its index
 * becomes ASYNC__TIMER_NONE (so owners tell "fired" by that), and the
 * loop never touches it again.  stop is O(1) and a no-op for a timer
 * that is not armed. */
int async__timer_start(async__timer *timer, uint64_t deadline_ns);
int async__timer_start_call(async__timer *timer, uint64_t deadline_ns,
                            async__timer_fn on_fire);
void async__timer_stop(async__timer *timer);

/* task.c: makes `c` an embedded task of `frame`, polled by `poll`, not
 * started yet and in no gather. */
void async__child_init(async__child *c, async__poll_fn poll, void *frame,
                       const char *name);

/* task.c: called by the loop once t's root frame returned READY or
 * FAILED (t->error then holds the code, else it is 0): marks it done,
 * drops a pending cancellation request, hands each node on its waiters
 * to the node's on_done, and frees it if its handle was released.  `t`
 * must not be used afterwards. */
void async__task_finish(async_task *t);

/* task.c: frees the frame of heap task `t` when it lives apart; the
 * task itself goes with the allocator's memory (task_alloc.h). */
void async__task_free_split(async_task *t);

/* loop.c: an add-on's part of the loop's teardown.  When async_run ends,
 * before the poller closes and the tasks' frames are freed, each hook
 * registered during the run (or before it, in this thread) is called
 * once, in registration order, and unregistered.  An add-on registers
 * its hook (a static object; registering it again is a no-op) when it
 * first has something to undo: the signal waiters and mask, the worker
 * pool's outstanding calls.  The core thus calls the add-ons without
 * naming them. */
typedef struct async__loop_hook {
    void (*fn)(void);
    struct async__loop_hook *next;
    int linked;
} async__loop_hook;
void async__loop_on_reset(async__loop_hook *h);

/* loop.c: calls fn(t, is_root, arg) for the main task, then every heap
 * task of the run. */
void async__loop_each_task(void (*fn)(async_task *t, int is_root, void *arg),
                           void *arg);

/* loop.c: the main task of the running async_run, or NULL. */
async_task *async__loop_root(void);

/* dump.c: the SIGQUIT dump of debug builds (no-ops with NDEBUG): arm at
 * the start of a run, poll after each wait, disarm when it ends.  The
 * signal's handler only sets async__dump_requested; the poll is inline
 * because the loop makes it between every two passes, and the dump
 * itself (async__dump_now, which clears the request) is rare. */
extern volatile sig_atomic_t async__dump_requested;
void async__dump_arm(void);
void async__dump_now(void);
void async__dump_disarm(void);
static inline void async__dump_poll(void) {
    if (async__dump_requested)
        async__dump_now();
}

/* loop.c, for signal.c's shutdown: cancels every unfinished heap task,
 * oldest first, then the main task, and lets the loop run the cancelled
 * tasks to their end after the main one has finished. */
void async__loop_cancel_all(void);

/* t's name for diagnostics. */
static inline const char *async__task_name(const async_task *t) {
    return t->fn->name != NULL ? t->fn->name : "(unnamed)";
}

#endif /* ASYNC_INTERNAL_H */
