/*
 * async/signal.h -- awaiting signals and shutting down cleanly, included
 * by async.h; do not include directly.
 *
 * Awaiting a signal.  `await(async_signal_wait(SIGUSR1))` suspends the
 * calling task until SIGUSR1 arrives (like loop.add_signal_handler, but
 * awaited).  While at least one task waits for a signal, asyncrt blocks
 * it in the loop's thread and reads it from a signalfd that the loop's
 * poller watches; when the last waiter of a signal goes (woken, cancelled
 * or destroyed with its task when async_run returns), the thread's mask
 * is restored (a signal that was blocked before stays blocked).  One
 * delivery wakes every task waiting for that signal at the time it is
 * read; a task that starts waiting afterwards waits for the next one.
 * Standard signals do not queue: several deliveries before the loop
 * reads them count as one.  A delivery of a signal that is awaited is
 * consumed by asyncrt, even when its only waiter is cancelled before the
 * loop reads it.
 *
 * Clean shutdown.  `async_shutdown_on_signals()`, called before
 * async_run or inside it, makes the first SIGINT or SIGTERM that no task
 * awaits cancel every task of the run: the spawned ones and then the
 * main one, so each await in progress fails with
 * ASYNC_ECANCELED and `async_try` cleanup runs, up the chain of awaits.
 * After the main task has finished, the loop goes on running until the
 * other cancelled tasks have finished too (while any of them can still
 * make progress), then async_run returns; unless the main task caught
 * the cancellation and returned normally, it evaluates to -1 with errno
 * ECANCELED.  The arming lasts one async_run: SIGINT and SIGTERM stay
 * blocked until it returns, and each further delivery cancels the
 * unfinished tasks again (duplicates are common: a terminal's Ctrl-C and
 * `timeout` signal the whole process group, and must not kill the
 * process while its tasks clean up).  A task that never finishes
 * despite cancellation therefore keeps the program running: SIGKILL or
 * SIGQUIT stops it.  Once async_run has returned, both signals have
 * their previous handling again.  While armed, tasks that all wait forever are
 * not reported as a deadlock: the loop waits for the signal.  A signal of
 * the two that is ignored (SIG_IGN) when async_shutdown_on_signals is
 * called is left alone, as asyncio does: a shell starts background jobs
 * with SIGINT ignored so that Ctrl-C does not reach them.  Under
 * async_run_loops (async/loops.h), armed in main before the call or on
 * loop 0 (the other loops' threads block both signals, so loop 0
 * receives them), the shutdown cancels the tasks of every loop of the
 * call: loop 0's at once, the others' through async_loop_cancel.
 *
 * What the shutdown does inside each awaitable (tests/e2e/sigint checks
 * every line, for SIGINT and SIGTERM):
 * - Fail at once with ASYNC_ECANCELED, holding nothing:
 *   async_sleep; await of a task (async_join: only the join stops, the
 *     awaited task is cancelled on its own like every task);
 *   async_event_wait; async_lock_acquire, async_semaphore_acquire (no
 *     lock or permit held, even one that a holder released to it in its
 *     own cleanup: it passes it on);
 *   async_queue_get (takes nothing: an item handed to it meanwhile goes
 *     back to the front of the queue), async_queue_put (inserts
 *     nothing), async_queue_join;
 *   async_read, async_recv, async_send, async_accept;
 *   async_write, async_write_counted (the count is exactly the bytes
 *     that went out: a reader gets that many);
 *   async_read_line, async_read_exactly (nothing taken from the reader
 *     and the caller's buffer untouched: the next read returns the whole
 *     line);
 *   async_connect (the socket stays the caller's, to close) and
 *     async_tcp_connect (closes its own socket), both while the
 *     handshake is pending;
 *   async_signal_wait of another signal (its mask is restored);
 *   async_getaddrinfo, queued or running (a running resolver finishes
 *     on its worker, which frees its result; *res is untouched).
 * - Fail with ASYNC_ECANCELED once everything they run has stopped, its
 *   cleanup done: async_gather and async_gather_failfast (every child),
 *   async_wait_for (its call; ASYNC_ECANCELED, not ASYNC_ETIMEDOUT),
 *   async_group_wait (every member), async_serve (every handler, whose
 *   connection it closes).
 * - async_condition_wait fails with ASYNC_ECANCELED after re-acquiring
 *   the lock: the cleanup releases it.
 * - async_to_thread (and so async_file_read): a call that a worker is
 *   running cannot be interrupted; the await waits for fn to return,
 *   then fails with ASYNC_ECANCELED (fn's result is lost).  The loop
 *   keeps running meanwhile, and async_run waits for it.  A call still
 *   queued is withdrawn and never runs.
 * - A task that catches the cancellation may keep awaiting: its awaits
 *   work as usual until a further signal cancels them again, and
 *   async_run returns only after it has ended.
 *
 * Threads.  Signal masks are per thread: a signal sent to the process
 * (kill, Ctrl-C) goes to any thread that does not block it.  Threads
 * created while a signal is awaited inherit the blocked mask; block the
 * awaited signals in threads you start yourself.  The loop's thread must
 * not install a handler relying on the signal being delivered while it
 * is awaited.
 */
#ifndef ASYNC_API_SIGNAL_H
#define ASYNC_API_SIGNAL_H

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __ASYNCC__

/* Waits until signal `signo` is delivered; evaluates to signo.  Errors:
 * ASYNC_EINVAL for a number that is not a signal or cannot be caught
 * (SIGKILL, SIGSTOP), -errno when the signalfd cannot be set up,
 * ASYNC_ECANCELED.  Cancellation-safe: a cancelled wait is no longer
 * registered, and the mask is restored if it was the last waiter. */
async int async_signal_wait(int signo);

#endif /* __ASYNCC__ */

/* Arms the clean shutdown described above for the current (or next)
 * async_run of this thread.  Returns 0, or -errno when the signals could
 * not be set up.  Calling it again while armed does nothing. */
int async_shutdown_on_signals(void);

/* ------------------------------------------------------------------ */
/* Generated-code interface                                            */
/* ------------------------------------------------------------------ */

/* A waiting task, embedded in its async_signal_wait frame.  Private. */
typedef struct async__signal_waiter {
    int signo;
    int fired; /* the signal was delivered to it */
    async_task *task;
    struct async__signal_waiter *prev, *next;
} async__signal_waiter;

struct async_signal_wait__frame {
    int _state;
    async__signal_waiter waiter;
    int _ret;
};
void async_signal_wait__init(struct async_signal_wait__frame *f, int signo);
int async_signal_wait__resume(void *frame);

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_SIGNAL_H */
