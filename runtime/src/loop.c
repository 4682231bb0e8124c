/*
 * loop.c -- the event loop: one per thread, running one async_run() at a
 * time.
 *
 * Tasks are polled, not called back: a task sits in the ready queue until
 * something wakes it (a timer, a ready file descriptor, a finishing task,
 * a gather child, or the task itself when it yields), and then the loop
 * calls its root poll function, which resumes the chain of awaiting
 * frames down to the one that suspended.  Each pass polls only the tasks
 * that were ready when it began, so a task that keeps waking itself
 * cannot starve the others or the timers (asyncio's run_once does the
 * same).
 *
 * A timer counts from the moment it was started (a fresh clock reading,
 * as asyncio's call_later does; libuv counts from the start of the pass
 * and may fire early by the time the pass took), and fires on the first
 * pass that begins at or after its deadline: never early.
 */
#include "internal.h"
#include "io.h"
#include "remote.h"
#include "task_alloc.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct async__loop {
    async__timer_heap timers; /* armed timers, earliest first */
    uint64_t now_ns;          /* the clock, read in this pass if now_read */
    int now_read;             /* now_ns was read in this pass */
    int running;              /* inside async__run */
    async_task *root;         /* the main task of the run, or NULL */
    int shutting_down;        /* async__loop_cancel_all was called */
    int last_pass;            /* the root finished: one more pass first */
    int winding_down;         /* the root finished: the others were cancelled */
    async__io io;             /* where the loop sleeps */
    async__loop_hook *resets; /* add-ons' teardowns, in registration order */
    async__loop_hook **resets_tail;
} async__loop;

/* Zero-initialised, which is a valid idle loop, so async__wake and
 * async__task_new work before the first async_run as well. */
static _Thread_local async__loop the_loop;

/* The task being polled, or NULL, and the ready queue: apart from the
 * loop, so that generated code reaches them inline (async.h's fast
 * paths) with one thread-local access each. */
_Thread_local async_task *async__running;
_Thread_local async__ready_queue async__ready;

async_task *async__current(void) { return async__running; }

async_task *async__loop_root(void) { return the_loop.root; }

async__io *async__loop_io(void) { return &the_loop.io; }

void async__loop_on_reset(async__loop_hook *h) {
    async__loop *l = &the_loop;

    if (h->linked)
        return;
    if (l->resets == NULL)
        l->resets_tail = &l->resets;
    h->linked = 1;
    h->next = NULL;
    *l->resets_tail = h;
    l->resets_tail = &h->next;
}

/* The add-ons undo what they did in this run, while the poller is open
 * and the frames they may point into still exist. */
static void run_reset_hooks(async__loop *l) {
    async__loop_hook *h, *next;

    for (h = l->resets; h != NULL; h = next) {
        next = h->next;
        h->linked = 0;
        h->next = NULL;
        h->fn();
    }
    l->resets = NULL;
    l->resets_tail = &l->resets;
}

/* O(n), but only reached when a task woke itself and then finished in
 * the same poll: one that called async_cancel on itself. */
static void ready_remove(async_task *t) {
    async_task **link = &async__ready.head;
    async_task *prev = NULL;

    while (*link != t) {
        prev = *link;
        link = &prev->next_ready;
    }
    *link = t->next_ready;
    if (async__ready.tail == t)
        async__ready.tail = prev;
    t->next_ready = NULL;
    t->flags &= ~ASYNC__TASK_QUEUED;
}

/* Read on demand, so that a pass with no timer to check reads no clock
 * at all: a reading costs tens of nanoseconds, as much as switching
 * between two tasks. */
uint64_t async__loop_now(void) {
    async__loop *l = &the_loop;

    if (!l->now_read) {
        l->now_ns = async__clock_ns();
        l->now_read = 1;
    }
    return l->now_ns;
}

_Static_assert(sizeof(async__timer) == 16, "a timer is 16 bytes");

/* Arms `timer` with what it does when it fires; its kind is set by the
 * caller, which writes the union's other member only once the heap has
 * taken the deadline. */
static int timer_arm(async__timer *timer, uint64_t deadline_ns, int kind) {
    timer->deadline_ns = deadline_ns;
    if (async__timer_heap_push(&the_loop.timers, timer) != 0)
        return -ENOMEM;
    timer->kind = (unsigned)kind;
    return 0;
}

int async__timer_start(async__timer *timer, uint64_t deadline_ns) {
    assert(async__running != NULL && "a timer can only be started by a task");
    if (timer_arm(timer, deadline_ns, ASYNC__TIMER_WAKE) != 0)
        return -ENOMEM;
    timer->task = async__running; /* the heap has the deadline now */
    return 0;
}

int async__timer_start_call(async__timer *timer, uint64_t deadline_ns,
                            async__timer_fn on_fire) {
    if (timer_arm(timer, deadline_ns, ASYNC__TIMER_CALL) != 0)
        return -ENOMEM;
    timer->on_fire = on_fire;
    return 0;
}

void async__timer_stop(async__timer *timer) {
    if (timer->index != ASYNC__TIMER_NONE)
        async__timer_heap_remove(&the_loop.timers, timer);
}

/* A due timer, taken out of the heap: puts its deadline back (what its
 * owner reads from now on), then does what its kind says. */
static void timer_fire(async__timer *timer, uint64_t deadline_ns) {
    if (timer->kind == ASYNC__TIMER_CALL) {
        async__timer_fn on_fire = timer->on_fire;

        timer->deadline_ns = deadline_ns;
        on_fire(timer);
    } else {
        async_task *t = timer->task;

        timer->deadline_ns = deadline_ns;
        async__wake(t);
    }
}

/* Phase 1: every timer that is due fires.  The clock is read only when
 * a timer is armed. */
static void run_timers(async__loop *l) {
    async__timer *timer;
    uint64_t now;

    l->now_read = 0;
    if (l->timers.len == 0)
        return;
    now = async__loop_now();
    for (;;) {
        uint64_t deadline = async__timer_heap_next_deadline(&l->timers);

        if (deadline > now)
            break;
        timer = async__timer_heap_pop(&l->timers);
        timer_fire(timer, deadline);
    }
}

/* A root frame that returns FAILED finishes its task just as READY does,
 * with the code left in t->error.  A task that succeeded has error 0,
 * and one that failed a negative code: a frame that fails without
 * storing one (not something asyncc generates) fails with ASYNC_EINVAL.
 * A failed task produced no result: its result bytes read as zero. */
static inline void end_task(async_task *t, int rc) {
    if (rc == ASYNC__READY) {
        t->error = 0;
    } else {
        if (t->error >= 0)
            t->error = ASYNC_EINVAL;
        if (t->fn->result_size > 0)
            memset(async__task_result_at(t), 0, t->fn->result_size);
    }
    /* A finished task must not stay queued: it may be freed now. */
    if (t->flags & ASYNC__TASK_QUEUED)
        ready_remove(t);
    async__task_finish(t);
}

/* Polls `t`, just taken off the ready queue, and ends it when its root
 * frame has returned.  A task cancelled before its first step (its root
 * frame still in state 0) is finished cancelled without running any of
 * its body, as asyncio never starts a task cancelled before its first
 * step.  That costs nothing in the common cases: the test that finds the
 * frame of an embedded task or of a heap task with its frame beside the
 * header tests the flag too, and the frame's state is read only when
 * the flag is set. */
static inline void poll_task(async_task *t, async_task **running) {
    const unsigned kind =
        t->flags & (ASYNC__TASK_HEAP | ASYNC__TASK_SPLIT | ASYNC__TASK_CANCEL);
    void *frame;
    int rc;

    /* What async__task_frame computes, for a task not cancelled. */
    if (kind == 0) {
        frame = ((async__child *)t)->frame;
    } else if (kind == ASYNC__TASK_HEAP) {
        frame = t + 1;
    } else {
        frame = async__task_frame_of(t);
        if ((t->flags & ASYNC__TASK_CANCEL) && *(const int *)frame == 0) {
            t->flags &= ~ASYNC__TASK_CANCEL;
            t->error = ASYNC_ECANCELED;
            end_task(t, ASYNC__FAILED);
            return;
        }
    }
    *running = t;
    rc = t->fn->poll(frame);
    *running = NULL;
    if (rc == ASYNC__READY || rc == ASYNC__FAILED)
        end_task(t, rc);
}

/* After a pass that left tasks ready, with the main task running, no
 * timer armed and nothing for the backend to watch or submit, the rest
 * of the pass and the next one's timer phase would do nothing: then this
 * does what they would (the dump requested by a signal, a new pass's
 * clock) and returns 1, so that the next pass polls at once.  The common
 * case of tasks handing work to each other.  The three counts are
 * tested together: one branch for the common case. */
static inline int quiet_pass(async__loop *l, const async__ready_queue *rq,
                             const async_task *root) {
    if (rq->head == NULL || (root->flags & ASYNC__TASK_DONE) ||
        (l->timers.len | (size_t)l->io.n_watchers | (size_t)l->io.queued) != 0)
        return 0;
    async__dump_poll();
    l->now_read = 0;
    return 1;
}

/* Makes the compiler take pointer `p` as unknown from here on, so that
 * it keeps it in a register rather than compute it again at each use:
 * in position-independent code the address of a thread-local costs two
 * instructions each time, and a pass of one task uses three of them
 * several times. */
#if defined(__GNUC__) || defined(__clang__)
#define KEEP_IN_REGISTER(p) __asm__("" : "+r"(p))
#else
#define KEEP_IN_REGISTER(p) ((void)0)
#endif

/* Phase 2: polls the tasks that are ready now, and again at once while
 * passes are quiet (quiet_pass).  Each time the queue is detached first,
 * so the tasks woken meanwhile wait for the next pass.  A task's link is
 * left as it is: it is read only while the task is queued, and
 * async__wake sets it.  `l`, `rq` and `running` are the_loop,
 * &async__ready and &async__running, computed once by the caller and
 * kept in registers over the passes. */
static void run_ready(async__loop *l, async__ready_queue *rq,
                      async_task **running, const async_task *root) {
    KEEP_IN_REGISTER(l);
    KEEP_IN_REGISTER(rq);
    KEEP_IN_REGISTER(running);
    do {
        async_task *t = rq->head;

        rq->head = rq->tail = NULL;
        while (t != NULL) {
            async_task *next = t->next_ready;

            /* Still flagged as queued until now, so waking it earlier in
             * this pass did not queue it twice. */
            t->flags &= ~ASYNC__TASK_QUEUED;
            assert(!(t->flags & ASYNC__TASK_DONE));
            poll_task(t, running);
            t = next;
        }
    } while (quiet_pass(l, rq, root));
}

/* How long phase 5 may sleep: not at all when tasks are ready, else until
 * the earliest timer is due. */
static uint64_t wait_timeout(async__loop *l) {
    uint64_t next, now;

    if (async__ready.head != NULL)
        return 0;
    next = async__timer_heap_next_deadline(&l->timers);
    if (next == UINT64_MAX)
        return ASYNC__IO_FOREVER;
    /* A fresh reading: the pass may have taken long since now_ns. */
    now = async__clock_ns();
    return next > now ? next - now : 0;
}

static void cancel_one(async_task *t, void *arg) {
    (void)arg;
    (void)async_cancel(t);
}

/* Cancels every unfinished task for a shutdown (signal.c): the heap
 * tasks first, then the main one, so that the pass that polls
 * them runs the others' cleanup before the main task sees its
 * cancellation.  Gather and wait_for children are cancelled through
 * their parents. */
void async__loop_cancel_all(void) {
    async__loop *l = &the_loop;

    if (!l->running)
        return;
    l->shutting_down = 1;
    async__task_mem_each(cancel_one, NULL);
    (void)async_cancel(l->root);
}

static void count_pending(async_task *t, void *arg) {
    if (!(t->flags & ASYNC__TASK_DONE))
        ++*(size_t *)arg;
}

static size_t pending_tasks(void) {
    size_t pending = 0;

    async__task_mem_each(count_pending, &pending);
    return pending;
}

/* Nothing ready, armed or watched: nothing can ever happen. */
static int loop_stuck(const async__loop *l) {
    return async__ready.head == NULL && l->timers.len == 0 &&
           !async__io_busy(&l->io);
}

static void cancel_pending(async_task *t, void *arg) {
    (void)arg;
    if (!(t->flags & ASYNC__TASK_DONE))
        (void)async_cancel(t);
}

/* The main task has finished: as asyncio.run does, every other task
 * still pending is cancelled once (unless a shutdown cancelled them
 * already), and the run goes on until all have finished.  Nonzero while
 * one has not, and something can still make it progress. */
static int winding_down(async__loop *l) {
    if (!l->winding_down) {
        l->winding_down = 1;
        if (!l->shutting_down)
            async__task_mem_each(cancel_pending, NULL);
    }
    return !loop_stuck(l) && pending_tasks() > 0;
}

/* The end of a run: a spawned task's frame that lives apart is freed
 * with it (the others go with the allocator's chunks). */
static void free_task(async_task *t, void *arg) {
    const async__loop *l = arg;

    /* After the wind-down, a task still pending ignored its cancellation
     * and waits for what nothing will do: always worth a line. */
    if (!(t->flags & ASYNC__TASK_DONE) && l->winding_down)
        fprintf(stderr,
                "asyncrt: task '%s' did not finish after its cancellation "
                "at the end of async_run, and nothing can wake it: "
                "destroyed\n",
                async__task_name(t));
#ifndef NDEBUG
    else if (!(t->flags & ASYNC__TASK_DONE))
        fprintf(stderr, "asyncrt: task '%s' was destroyed but it is pending\n",
                async__task_name(t));
#endif
    async__task_free_split(t);
}

/* Leaves the loop idle for the next async_run.  Pointers into frames go
 * first (queue links, timer indexes), then the heap tasks whose frames
 * they may point into. */
static void loop_reset(async__loop *l) {
    async_task *t, *next;

    async__timer_heap_free(&l->timers);
    /* Before the backend closes and the frames go: signal waiters and
     * worker threads' calls point into frames (the add-ons unwatch
     * their descriptors, and the worker pool waits for running calls). */
    run_reset_hooks(l);
    /* Then the ready queue: a hook may wake tasks (a callback posted to
     * the loop runs at its end and sets an event a destroyed task waited
     * on), and the thread's next run must not find them queued. */
    for (t = async__ready.head; t != NULL; t = next) {
        next = t->next_ready;
        t->next_ready = NULL;
        t->flags &= ~ASYNC__TASK_QUEUED;
    }
    async__ready.head = async__ready.tail = NULL;
    async__io_close(&l->io);
    async__task_mem_each(free_task, l);
    async__task_mem_reset();
    async__running = NULL;
    l->root = NULL;
    l->now_read = 0;
    l->shutting_down = 0;
    l->winding_down = 0;
    l->last_pass = 0;
    l->running = 0;
}

struct each_task {
    void (*fn)(async_task *t, int is_root, void *arg);
    void *arg;
};

static void each_heap_task(async_task *t, void *arg) {
    struct each_task *e = arg;

    e->fn(t, 0, e->arg);
}

void async__loop_each_task(void (*fn)(async_task *t, int is_root, void *arg),
                           void *arg) {
    async__loop *l = &the_loop;
    struct each_task e = {fn, arg};

    if (l->root != NULL)
        fn(l->root, 1, arg);
    async__task_mem_each(each_heap_task, &e);
}

int async__run(async__poll_fn poll, void *frame, const char *name) {
    async__loop *l = &the_loop;
    async__ready_queue *rq = &async__ready;
    async_task **running = &async__running;
    async__child main_task;
    async_task *root = &main_task.task;
    int rc = 0;

    if (l->running) {
        fputs("asyncrt: async_run() called while the loop is running\n",
              stderr);
        errno = EBUSY;
        return -EBUSY;
    }
    /* The backend of this run (ASYNCRT_BACKEND may refuse to start). */
    if ((rc = async__io_start(&l->io)) != 0) {
        errno = -rc;
        return rc;
    }
    /* The root task needs no handle, so it lives on this stack frame. */
    async__child_init(&main_task, poll, frame, name);
    l->running = 1;
    l->root = root;
    async__wake(root);
    /* A loop of async_run_loops: other threads may reach it at once. */
    if (async__loop_self != NULL)
        async__remote_begin();
    async__dump_arm();

    for (;;) {
        run_timers(l); /* 1. due timers wake their tasks */
        /* 2. poll what was ready when the pass began; again at once
         * while passes are quiet (quiet_pass) */
        run_ready(l, rq, running, root);
        /* 3. the run's result is in, once the other tasks, cancelled,
         * have finished too (or can never finish).  As asyncio.run stops
         * its loop only after the pass that follows the main task's end,
         * what was ready then (tasks spawned by its last step included)
         * runs one more pass before the others are cancelled. */
        if ((root->flags & ASYNC__TASK_DONE) && !l->winding_down &&
            !l->last_pass && async__ready.head != NULL) {
            l->last_pass = 1;
            if (async__io_busy(&l->io))
                async__io_wait(&l->io, 0);
            continue;
        }
        if ((root->flags & ASYNC__TASK_DONE) && !winding_down(l))
            break;
        /* 4. nothing ready, armed or watched: nothing can ever happen */
        if (!(root->flags & ASYNC__TASK_DONE) && loop_stuck(l)) {
            fprintf(stderr,
                    "asyncrt: deadlock: task '%s' waits but no task, timer "
                    "or I/O can wake it\n",
                    async__task_name(root));
            rc = -EDEADLK;
            break;
        }
        /* 5. sleep in the OS; ready descriptors wake their tasks (with
         * tasks ready and no descriptor watched there is nothing to
         * wait for or collect, unless the backend has requests to
         * submit) */
        if (async__loop_self != NULL) /* other threads may reach it */
            async__remote_wait(&l->io, wait_timeout(l));
        else if (async__ready.head == NULL || async__io_busy(&l->io) ||
                 async__io_pending(&l->io))
            async__io_wait(&l->io, wait_timeout(l));
        async__dump_poll(); /* a SIGQUIT asked where every task waits */
    }

    /* A root that failed makes the run fail with its code. */
    if (rc == 0 && (root->flags & ASYNC__TASK_DONE))
        rc = root->error;
    async__dump_disarm();
    loop_reset(l);
    if (rc < 0)
        errno = -rc;
    return rc;
}
