/*
 * pool.h -- the worker pool's interface for the runtime's awaitables
 * (thread_pool.c): async_to_thread and async_getaddrinfo submit calls
 * through it.  Every function here runs on the loop's thread.
 */
#ifndef ASYNC_POOL_H
#define ASYNC_POOL_H

#include <async.h>

/* Queues `w` (fn, arg, detached = 0 and release set) for a worker; its
 * task is the one being polled, woken once the loop has collected the
 * finished call (w->collected is then 1).  Returns 0 or -errno
 * (-EAGAIN when no worker thread can be started). */
int async__pool_submit(async__work *w);

/* Takes back a queued call.  Returns 1 when it was still queued (it will
 * never run), 0 when a worker has it. */
int async__pool_withdraw(async__work *w);

/* For a call with a `release`, whose await ends without its result:
 * a queued call is withdrawn and released now; one that a worker runs
 * is released by that worker when fn returns, and one finished but not
 * yet collected when the loop collects it (on its next pass); a call
 * that was collected, or never submitted, is released now.  A running
 * call no longer counts for the loop: async_run does not wait for it.  `w` must
 * not be used afterwards. */
void async__pool_detach(async__work *w);

#endif /* ASYNC_POOL_H */
