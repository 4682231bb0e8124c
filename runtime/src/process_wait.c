/*
 * process_wait.c -- async_process_wait and async_process_wait_or_kill:
 * awaits on the process's wait list, which the registry settles when it
 * reaps the child (process_reap.c).
 *
 * Frame states: 0 = not started; 1 = on the wait list (wait_or_kill:
 * with its deadline armed); 2 = wait_or_kill after the kill, on the
 * list again until the child is reaped; -1 = done.  Each wait first
 * tries to reap, so a child that exited before the loop saw its pidfd
 * is seen at once.
 */
#include "process.h"
#include "wait_list.h"

#include <errno.h>
#include <signal.h>

/* The status of a process that is no longer running. */
static int finished(int *state, int *ret, const async_process *p) {
    if (p->state == ASYNC__PROC_LOST)
        return async__wait_fail(state, -ECHILD);
    *ret = p->status;
    return async__wait_done(state);
}

/* Joins the wait list (state 1, PENDING), or fails when cancelled. */
static int start(async_process *p, async__sync_waiter *w, int *state) {
    int rc = async__wait_start(&p->waiters, w, state);

    if (rc == ASYNC__PENDING)
        async__process_watch_update(p);
    return rc;
}

/* On the list: PENDING while there, FAILED when cancelled (the node has
 * left), READY once the child is no longer running. */
static int poll_list(async_process *p, async__sync_waiter *w, int *state) {
    int rc = async__wait_poll(w, state, NULL, NULL);

    if (rc != ASYNC__PENDING)
        async__process_watch_update(p);
    return rc;
}

void async_process_wait__init(struct async_process_wait__frame *f,
                              async_process *p) {
    f->_state = 0;
    f->p = p;
    async__waiter_init(&f->waiter);
    f->_ret = 0;
}

int async_process_wait__resume(void *frame) {
    struct async_process_wait__frame *f = frame;
    int rc;

    switch (f->_state) {
    case 0:
        if (f->p == NULL)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        if (async__process_reap(f->p))
            return finished(&f->_state, &f->_ret, f->p);
        return start(f->p, &f->waiter, &f->_state);
    case 1:
        rc = poll_list(f->p, &f->waiter, &f->_state);
        if (rc != ASYNC__READY)
            return rc;
        return finished(&f->_state, &f->_ret, f->p);
    default:
        return ASYNC__READY;
    }
}

void async_process_wait_or_kill__init(
    struct async_process_wait_or_kill__frame *f, async_process *p,
    double seconds) {
    f->_state = 0;
    f->killed = 0;
    f->p = p;
    f->seconds = seconds;
    async__waiter_init(&f->waiter);
    f->timer.deadline_ns = 0;
    f->timer.index = ASYNC__TIMER_NONE;
    f->_ret = 0;
}

/* The child has been reaped (or lost): its status, or, once killed,
 * ASYNC_ETIMEDOUT. */
static int kill_done(struct async_process_wait_or_kill__frame *f) {
    async__timer_stop(&f->timer);
    if (f->killed && f->p->state != ASYNC__PROC_LOST)
        return async__wait_fail(&f->_state, ASYNC_ETIMEDOUT);
    return finished(&f->_state, &f->_ret, f->p);
}

/* The deadline passed: SIGKILL, then wait for the reaping (state 2). */
static int kill_now(struct async_process_wait_or_kill__frame *f) {
    async_process *p = f->p;
    int rc = async_process_signal(p, SIGKILL);

    if (rc == -ESRCH)
        return kill_done(f); /* it exited meanwhile: its own status */
    if (rc != 0)
        return async__wait_fail(&f->_state, rc);
    f->killed = 1;
    async__process_poll_soon();
    if (async__process_reap(p))
        return kill_done(f);
    if (start(p, &f->waiter, &f->_state) != ASYNC__PENDING)
        return ASYNC__FAILED;
    f->_state = 2;
    return ASYNC__PENDING;
}

int async_process_wait_or_kill__resume(void *frame) {
    struct async_process_wait_or_kill__frame *f = frame;
    int rc;

    switch (f->_state) {
    case 0:
        if (f->p == NULL)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        if (async__process_reap(f->p))
            return kill_done(f);
        if (!(f->seconds > 0))
            return kill_now(f);
        if (async__timer_start(&f->timer, async__deadline_after(f->seconds)) !=
            0)
            return async__wait_fail(&f->_state, ASYNC_ENOMEM);
        rc = start(f->p, &f->waiter, &f->_state);
        if (rc != ASYNC__PENDING)
            async__timer_stop(&f->timer);
        return rc;
    case 1:
        /* The deadline fired: leave the list, kill. */
        if (f->timer.index == ASYNC__TIMER_NONE &&
            async__waiter_status(&f->waiter) == ASYNC__SYNC_WAITING &&
            !(async__running->flags & ASYNC__TASK_CANCEL)) {
            (void)async__wait_unlink(&f->waiter, ASYNC__SYNC_IDLE);
            async__process_watch_update(f->p);
            return kill_now(f);
        }
        rc = poll_list(f->p, &f->waiter, &f->_state);
        if (rc == ASYNC__FAILED)
            async__timer_stop(&f->timer);
        if (rc != ASYNC__READY)
            return rc;
        return kill_done(f);
    case 2:
        rc = poll_list(f->p, &f->waiter, &f->_state);
        if (rc != ASYNC__READY)
            return rc;
        return kill_done(f);
    default:
        return ASYNC__READY;
    }
}
