/*
 * async/signal.h -- awaiting signals and shutting down cleanly, included
 * by async.h; do not include directly.
 *
 * Awaiting a signal.  `await(async_signal_wait(SIGUSR1))` suspends the
 * calling task until SIGUSR1 arrives (like loop.add_signal_handler, but
 * awaited).  While at least one task waits for a signal, asyncrt blocks
 * it in the loop's thread and reads it from a signalfd that the loop's
 * epoll watches; when the last waiter of a signal goes (woken, cancelled
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
 * awaits cancel every task of the run: the spawned ones (oldest first)
 * and then the main one, so each await in progress fails with
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
 * not reported as a deadlock: the loop waits for the signal.
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
