/*
 * remote.h -- what crosses between loops (async/loops.h), as the
 * runtime's files share it: a loop's shared object and its inbox.
 *
 * Each loop that other threads may reach has an async_loop: a mutex, an
 * inbox of requests (async__remote nodes, intrusive, doubly linked so a
 * request can be withdrawn in O(1)) and an eventfd.  Another thread
 * pushes a request and writes the eventfd when the inbox was empty and
 * the loop has said it may sleep (async__remote_wait), so a burst costs
 * one wake-up and an awake loop none; between passes (and when the
 * eventfd wakes it), the loop takes the requests one by one (each under the
 * lock, so a request is always either queued or being handled, never on a
 * private list another thread cannot see) and dispatches each by its kind.
 *
 * Lock order: a channel's lock, then a loop's.  No code holds two
 * loops' locks at once.
 */
#ifndef ASYNC_REMOTE_H
#define ASYNC_REMOTE_H

#include <async.h>
#include <pthread.h>
#include <stdatomic.h>

#include "io.h"

/* async__remote.kind */
enum {
    ASYNC__REMOTE_WAKE = 1,  /* wake a channel waiter (channel.c) */
    ASYNC__REMOTE_POST,      /* run a posted callback */
    ASYNC__REMOTE_START,     /* start a call's task (loop_call.c) */
    ASYNC__REMOTE_CANCEL,    /* cancel a call's task (loop_call.c) */
    ASYNC__REMOTE_DONE,      /* a call has finished (loop_call.c) */
    ASYNC__REMOTE_NUDGE,     /* look again at what holds the loop */
    ASYNC__REMOTE_CANCEL_ALL /* cancel every task (async_loop_cancel) */
};

typedef struct async__loop_group async__loop_group;

struct async_loop {
    pthread_mutex_t mu;
    async__remote *head, *tail; /* the inbox, under mu */
    atomic_size_t n_queued;     /* in the inbox: written under mu */
    int closed;                 /* the run has ended: under mu */
    int efd;                    /* written to wake the loop */
    atomic_int sleeping;        /* the loop may block in its poller */
    atomic_int refs;            /* the object's: freed at 0 */
    atomic_int holds;           /* async_loop_retain's */
    async__remote nudge;        /* ASYNC__REMOTE_NUDGE */
    async__remote cancel_all;   /* ASYNC__REMOTE_CANCEL_ALL */
    async__loop_group *group;   /* async_run_loops' call, or NULL */
    int index;                  /* in the group, 0 without one */
    /* The loop's thread only: */
    async__watcher w;        /* of efd */
    int attached;            /* w is registered, the reset hook set */
    unsigned waits;          /* its tasks waiting for other threads */
    unsigned spin_skip;      /* sleeps left before the next spin */
    unsigned spin_backoff;   /* spin_skip after the next failed spin */
    int held;                /* n_watchers counts the hold */
    async__loop_call *calls; /* calls started here, running */
};

struct async__loop_group {
    int n;
    atomic_int running; /* loops whose run has not ended */
    async_loop **loops;
};

/* This thread's loop object, when it has one (a loop of async_run_loops
 * has it before its run begins; a plain run gets it at its first
 * need). */
extern _Thread_local async_loop *async__loop_self;

/* loop_remote.c: the object of the loop running in this thread, made
 * and attached at the first call; NULL when no loop runs here or it
 * could not be made (out of memory, no eventfd). */
async_loop *async__remote_self(void);

/* loop_remote.c, for loop.c: attaches the object made before the run
 * (async__loop_self) to the run that begins. */
void async__remote_begin(void);

/* loop_remote.c, for loop_group.c: after a loop's run, or a run that
 * could not begin: the object made for it is closed and the thread
 * forgets it (a no-op when the run's end did so). */
void async__remote_end(void);

/* loop_remote.c: a new object, not attached, with one reference; NULL
 * when out of memory or no eventfd. */
async_loop *async__remote_new(void);

/* loop_remote.c: object references that do not hold the loop up. */
void async__remote_ref(async_loop *l);
void async__remote_unref(async_loop *l);

/* loop_remote.c: the inbox.  push queues `r` (a no-op when it is queued
 * already) and wakes the loop; 0, or -ESHUTDOWN when the loop's run has
 * ended.  push_locked does the same with l->mu held by the caller, and
 * returns through *wake whether the caller must call async__remote_notify
 * after unlocking.  withdraw takes `r` out when it is queued: 1 when it
 * was. */
int async__remote_push(async_loop *l, async__remote *r);
int async__remote_push_locked(async_loop *l, async__remote *r, int *wake);
void async__remote_notify(async_loop *l);
int async__remote_withdraw(async_loop *l, async__remote *r);
int async__remote_withdraw_locked(async_loop *l, async__remote *r);

/* loop_remote.c, for loop.c: the wait of a pass (step 5) of a loop that
 * has an object, `timeout_ns` being what the loop would sleep (0 when
 * tasks are ready).  It asks the kernel only when something besides
 * the eventfd is watched or the loop would sleep; before sleeping it
 * tells other threads so (only then do they write the eventfd), and
 * while one of its tasks waits for another thread it first polls its
 * inbox for a short while.  Then it takes the requests queued. */
void async__remote_wait(async__io *io, uint64_t timeout_ns);

/* loop_remote.c: a task of this loop begins or ends a wait that another
 * thread ends: while any does, the loop watches its eventfd as a
 * descriptor a task waits on (never a deadlock, polled every pass). */
void async__remote_wait_begin(async_loop *l);
void async__remote_wait_end(async_loop *l);

/* channel.c: handles ASYNC__REMOTE_WAKE. */
void async__chan_wake_arrived(async__remote *r);

/* loop_call.c: handles the call kinds on the loop's thread; `closing`
 * when the loop's run is ending (a start is then refused). */
void async__call_arrived(async_loop *l, async__remote *r, int closing);
/* loop_call.c: the loop's run is ending: every call still running
 * (its task destroyed with the run) is answered ASYNC_ECANCELED. */
void async__calls_abandon(async_loop *l);

#endif /* ASYNC_REMOTE_H */
