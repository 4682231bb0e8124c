/*
 * async/loops.h -- every core: one loop per thread, and what crosses
 * between loops.
 *
 * A loop and its tasks belong to one thread, and nothing of a loop is
 * shared (thread-per-core, shared-nothing: each loop keeps its
 * single-threaded fast paths).  Work crosses between threads only
 * through what this header declares:
 *
 *     async int serve_core(int loop, void *arg) { ... }
 *     int results[64];
 *     async_run_loops(0, serve_core, ctx, results);  -- one loop per core
 *
 * - async_run_loops runs an async function on each of N loops, one
 *   thread per loop, and returns when all have finished;
 * - an async_channel carries pointers between loops: send and receive
 *   are awaitable on any loop, and a receiver on another loop is woken
 *   between passes, or through that loop's eventfd when it may be
 *   asleep (one write for a burst);
 * - async_loop_call runs an async function on another loop and lets the
 *   caller await its result;
 * - async_loop_post hands a plain function to a loop from any thread (a
 *   library's callback thread), like asyncio's call_soon_threadsafe and
 *   libuv's uv_async_send.
 *
 * Every function here may be called from any thread, except where its
 * comment says "on a loop" (then from a task or a callback of a running
 * loop, in that loop's thread).
 */
#ifndef ASYNC_API_LOOPS_H
#define ASYNC_API_LOOPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A running loop: a thread's async_run or one of async_run_loops.
 * Fields are private. */
typedef struct async_loop async_loop;

/* What async_run_loops runs on each loop: an async function of the loop's
 * index (0 to n-1) and the caller's argument, whose int result is that
 * loop's. */
typedef async int async_loop_main(int loop, void *arg);

/* What async_loop_call runs on the target loop. */
typedef async int async_loop_fn(void *arg);

/* The number of CPUs this process may run on (sched_getaffinity), at
 * least 1: async_run_loops' default number of loops. */
int async_loop_cpus(void);

/*
 * Runs main(i, arg) on each of `n` loops (n <= 0: async_loop_cpus()),
 * loop i in a thread of its own -- loop 0 in the calling thread, the
 * others in threads started for the call -- and returns when every loop
 * has finished: each loop is one async_run (its end, cancellation of the
 * other tasks and wind-down included), so a loop's run ends when its
 * main has.  results[i] (when `results` is not NULL, an array of n ints)
 * receives that loop's outcome: main's result, or, where async_run
 * would evaluate to -1 and set errno, minus that errno value
 * (ASYNC_ECANCELED, -EDEADLK, the backend's refusal...).  When n is at most the
 * number of CPUs the process may use, loop i's thread is pinned to the i-th of
 * them (unless the environment has ASYNCRT_NO_PIN=1); a failure to pin is
 * ignored.  The loops start together: no main runs before every thread exists,
 * so a loop may use async_loop_at(j) for any j from its first step.
 *
 * While another loop of the call has not finished its run, a loop is
 * never reported as a deadlock: a task of that loop may still post to
 * it or send to a channel it waits on.  Likewise on any loop, a task
 * waiting on a channel or for an async_loop_call keeps the loop running
 * (another thread may still end the wait): a wait that nothing ends
 * hangs rather than failing with -EDEADLK.
 *
 * Returns 0 when every loop ran (whatever their results), or without
 * running any: ASYNC_EINVAL (`main` NULL, or n above 1024), -EBUSY (the
 * calling thread's loop is running), -EAGAIN (a thread could not be
 * started).  Signals: async_shutdown_on_signals called in loop 0 (or
 * before the call) makes SIGINT and SIGTERM cancel the tasks of every
 * loop of the call.
 */
int async_run_loops(int n, async_loop_main *main, void *arg, int *results);

/* On a loop: the loop of the calling thread, or NULL when none runs (or
 * when its shared object cannot be allocated).  The
 * handle stays valid until that loop's run has returned; a thread that
 * keeps it longer takes a reference first (async_loop_retain). */
async_loop *async_loop_current(void);

/* On a loop of async_run_loops: loop `i` of the same call (a handle valid
 * until async_run_loops returns), or NULL when i is out of range or the
 * calling thread runs no loop of a call. */
async_loop *async_loop_at(int i);

/* On a loop: its index in its async_run_loops call (0 for a plain
 * async_run), or -1 when the thread runs no loop. */
int async_loop_index(void);

/* On a loop: the number of loops of its async_run_loops call (1 for a
 * plain async_run), or 0 when the thread runs no loop. */
int async_loop_count(void);

/* Takes a reference to `loop`, which the caller must hold already (a
 * handle from async_loop_current or async_loop_at while it is valid, or
 * a reference): the object then outlives the run, until the matching
 * async_loop_release.  While references are held besides the run's own,
 * the loop is never reported as a deadlock (a post may still come).
 * Returns `loop` (NULL for NULL). */
async_loop *async_loop_retain(async_loop *loop);

/* Drops a reference taken with async_loop_retain; the last one frees the
 * object.  NULL does nothing. */
void async_loop_release(async_loop *loop);

/* Runs fn(arg) on `loop`'s thread, as a plain callback between two
 * passes of the loop: not in a task, it may call the runtime's plain
 * functions of that loop (set an event, cancel a task, try_send on a
 * channel, post again), which wake the tasks concerned; async code is
 * run on another loop with async_loop_call.  Callbacks posted from one thread
 * run in the order they were posted; a burst of posts wakes the loop once.
 * Every callback accepted runs exactly once: at the latest when the
 * loop's run ends, before its tasks are freed.  Returns 0, ASYNC_EINVAL
 * (NULL loop or fn), -ESHUTDOWN (the loop's run has ended, or is ending:
 * fn will not run), ASYNC_ENOMEM (the 40-byte request could not be
 * allocated). */
int async_loop_post(async_loop *loop, void (*fn)(void *arg), void *arg);

/* Cancels every task of `loop`, as a shutdown of
 * async_shutdown_on_signals does on that loop (its main too, after the
 * others).  Returns 0, ASYNC_EINVAL (NULL) or -ESHUTDOWN. */
int async_loop_cancel(async_loop *loop);

/*
 * A channel: a bounded FIFO of pointers between loops (and plain
 * threads, through the try_ calls), multi-producer and multi-consumer.
 * Created before the loops that use it and destroyed after them.
 *
 * Delivery: an item sent is in the channel until exactly one receiver
 * takes it.  A send that fails (closed, cancelled) put nothing in; a
 * receive that fails took nothing.  A receiver woken for an item and
 * cancelled before it took it passes the wake-up on, so no item waits
 * while a receiver does.  Items left when it is destroyed are counted
 * and dropped (async_channel_destroy).
 */
typedef struct async_channel async_channel;

/* A new open, empty channel of at most `capacity` items (1 to 2^30).
 * Returns NULL with errno EINVAL (capacity out of range) or ENOMEM. */
async_channel *async_channel_create(size_t capacity);

/* Destroys `ch` and returns the number of items still in it (dropped:
 * free what they point to first, with async_channel_try_recv, if they
 * own memory).  No task may be waiting on it.  NULL returns 0. */
size_t async_channel_destroy(async_channel *ch);

/* Closes `ch`: sends fail with -EPIPE from now on (the waiting ones
 * too: their items are not put in), receives take the items left, then
 * fail with -EPIPE.  Closing again does nothing.  Returns 0 or
 * ASYNC_EINVAL (NULL). */
int async_channel_close(async_channel *ch);

/* Puts `item` at the back without waiting.  Returns 0, -EAGAIN (full),
 * -EPIPE (closed), ASYNC_EINVAL (NULL channel). */
int async_channel_try_send(async_channel *ch, void *item);

/* Takes the item at the front without waiting into *item.  Returns 0,
 * -EAGAIN (empty, open), -EPIPE (empty, closed), ASYNC_EINVAL (NULL
 * channel or item pointer). */
int async_channel_try_recv(async_channel *ch, void **item);

/* The number of items in `ch` now (0 for NULL). */
size_t async_channel_size(async_channel *ch);

#ifdef __ASYNCC__
/* On a loop: puts `item` at the back of `ch`, waiting while it is full
 * (the waiting senders in turn); evaluates to 0.  Errors: -EPIPE (closed
 * before it went in), ASYNC_ECANCELED (nothing put in), ASYNC_EINVAL
 * (NULL channel). */
async int async_channel_send(async_channel *ch, void *item);

/* On a loop: takes the item at the front of `ch`, waiting while it is
 * empty.  Errors: -EPIPE (closed and empty), ASYNC_ECANCELED (nothing
 * taken), ASYNC_EINVAL (NULL channel). */
async void *async_channel_recv(async_channel *ch);

/* On a loop: runs fn(arg) as a task of `loop` and evaluates to its
 * result (like asyncio.run_coroutine_threadsafe awaited from another
 * loop).  `loop` may be the caller's own.  Errors: fn's failure code;
 * -ESHUTDOWN (the loop's run ended before fn started); ASYNC_ECANCELED
 * when the target loop cancelled it (its run ending) or the caller was
 * cancelled -- then fn's task is cancelled and the await ends once it
 * has finished, as async_wait_for does; ASYNC_ENOMEM (no task could be
 * allocated there); ASYNC_EINVAL (NULL loop or fn). */
async int async_loop_call(async_loop *loop, async_loop_fn *fn, void *arg);
#endif /* __ASYNCC__ */

/* ------------------------------------------------------------------ */
/* Generated-code interface                                            */
/* ------------------------------------------------------------------ */

/* A request in a loop's inbox: a wake-up of a channel waiter, a
 * posted callback or a call.  Private. */
typedef struct async__remote {
    struct async__remote *next, *prev; /* in the inbox, under its lock */
    int kind;                          /* private: ASYNC__REMOTE_* */
    int queued;                        /* in an inbox now */
} async__remote;

/* A task waiting on a channel, embedded in its frame.  Private. */
typedef struct async__chan_waiter {
    async__remote wake;                     /* queued on loop to wake it */
    struct async__chan_waiter *next, *prev; /* in the channel's list */
    async_loop *loop;                       /* the task's loop */
    async_task *task;                       /* the waiting task */
    int state;                              /* private */
} async__chan_waiter;

struct async_channel_send__frame {
    int _state;
    async__chan_waiter waiter;
    async_channel *ch;
    void *item;
    int _ret;
};
void async_channel_send__init(struct async_channel_send__frame *f,
                              async_channel *ch, void *item);
int async_channel_send__resume(void *frame);

struct async_channel_recv__frame {
    int _state;
    async__chan_waiter waiter;
    async_channel *ch;
    void *_ret;
};
void async_channel_recv__init(struct async_channel_recv__frame *f,
                              async_channel *ch);
int async_channel_recv__resume(void *frame);

/* A call to another loop, embedded in the caller's frame.  Private. */
typedef struct async__loop_call {
    async__remote start;  /* to the target: start fn's task */
    async__remote cancel; /* to the target: cancel it */
    async__remote done;   /* back to the caller: it has finished */
    async__waiter node;   /* on the waiters of fn's task, on the target */
    struct async__loop_call *next, *prev; /* the target's running calls */
    async_loop *target, *caller;
    async_task *waiting;  /* the caller's task */
    int (*fn)(void *arg); /* the starter of fn (async.h) */
    void *arg;
    int result, error;
    int finished;  /* no request of it is left on the target (its lock) */
    int cancelled; /* the caller asked for a cancellation */
    int got_done;  /* the caller has seen `done` */
} async__loop_call;

struct async_loop_call__frame {
    int _state;
    async__loop_call call;
    int _ret;
};
void async_loop_call__init(struct async_loop_call__frame *f, async_loop *loop,
                           int (*fn)(void *arg), void *arg);
int async_loop_call__resume(void *frame);

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_LOOPS_H */
