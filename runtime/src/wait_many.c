/*
 * wait_many.c -- waiting on arrays of task handles: async_wait,
 * async_as_completed and async_gather_tasks.
 *
 * async_wait and async_as_completed put one caller-provided node per
 * entry on the entry's task's list of waiters.  A finishing task hands
 * the node, already unlinked, to its on_done, which counts it and wakes
 * the waiting task only when that task has something to do.  What is
 * left on the lists when the wait ends (tasks still pending) is taken
 * off again by walking those tasks' lists: a task has few waiters, and
 * the node must go before the frame holding the caller's arrays can.
 * Whether an entry's node is still linked needs no bit of its own: it
 * is linked exactly while the wait is in progress and the task has not
 * finished, since a task's end unlinks every node.
 *
 * async_gather_tasks waits for all of them, in any order, so it needs
 * one node only: it joins the entries one after the other, skipping
 * those that have finished.
 */
#include "internal.h"

#include <assert.h>
#include <limits.h>
#include <math.h>

_Static_assert(sizeof(async_wait_node) == 32, "a wait node is 32 bytes");

static void node_link(async_task *t, async_wait_node *w, async__done_fn done,
                      void *owner) {
    w->node.on_done = done;
    w->owner = owner;
    async__waiter_link(t, &w->node, 0);
}

/* Seconds to nanoseconds, with UINT64_MAX for "no deadline": negative
 * or infinite.  NaN gives no time, as it does to a sleep. */
static uint64_t timeout_ns(double seconds) {
    if (seconds < 0 || isinf(seconds))
        return UINT64_MAX;
    return async__ns_from_seconds(seconds);
}

static int entries_valid(async_task *const *tasks, size_t n) {
    if (n > 0 && tasks == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tasks[i] == NULL)
            return 0;
    return 1;
}

/* A task that counts as failed for ASYNC_FIRST_EXCEPTION. */
static int failed(const async_task *t) {
    return t->error < 0 && t->error != ASYNC_ECANCELED;
}

/* ------------------------------------------------------------------ */
/* async_wait                                                          */
/* ------------------------------------------------------------------ */

void async_wait__init(struct async_wait__frame *f, async_task *const *tasks,
                      size_t n, async_wait_node *nodes, int mode,
                      double timeout) {
    f->_state = 0;
    f->mode = mode;
    f->tasks = tasks;
    f->n = n;
    f->nodes = nodes;
    f->remaining = 0;
    f->waiter = NULL;
    f->timer.deadline_ns = timeout_ns(timeout);
    f->timer.index = ASYNC__TIMER_NONE;
    f->timed = 0;
    f->satisfied = 0;
    f->_ret = 0;
}

/* An entry's task has finished (on_done of its node). */
static void wait_entry_done(async__waiter *node, async_task *t) {
    struct async_wait__frame *f = ((async_wait_node *)node)->owner;

    f->remaining--;
    if (f->satisfied)
        return;
    if (f->remaining == 0 || f->mode == ASYNC_FIRST_COMPLETED ||
        (f->mode == ASYNC_FIRST_EXCEPTION && failed(t))) {
        f->satisfied = 1;
        async__wake(f->waiter);
    }
}

/* Ends the wait: no node on a task, no timer; the count of entries
 * whose task has finished. */
static int wait_end(struct async_wait__frame *f) {
    int done = 0;

    async__timer_stop(&f->timer);
    for (size_t i = 0; i < f->n; i++) {
        if (async_task_done(f->tasks[i]))
            done++;
        else if (f->_state == 1)
            async__waiter_unlink(&f->nodes[i].node);
    }
    f->remaining = 0;
    f->_state = -1;
    return done;
}

/* States: 0 = not started; 1 = nodes linked, waiting; -1 = done.  The
 * waiting task is woken when the condition holds (satisfied), when the
 * timer fires (it wakes the task: then timed is set and the timer no
 * longer armed) or by a cancellation; any other poll goes on waiting. */
int async_wait__resume(void *frame) {
    struct async_wait__frame *f = frame;
    size_t done = 0;
    int failure = 0;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        if (async__cancel_seen()) {
            wait_end(f);
            return ASYNC__FAILED;
        }
        if (!f->satisfied && !(f->timed && f->timer.index == ASYNC__TIMER_NONE))
            return ASYNC__PENDING;
        f->_ret = wait_end(f);
        return ASYNC__READY;
    default:
        return ASYNC__READY;
    }
    if (f->tasks == NULL || f->nodes == NULL || f->n == 0 || f->n > INT_MAX ||
        !entries_valid(f->tasks, f->n) ||
        (f->mode != ASYNC_FIRST_COMPLETED && f->mode != ASYNC_FIRST_EXCEPTION &&
         f->mode != ASYNC_ALL_COMPLETED)) {
        f->_state = -1;
        return async__raise(ASYNC_EINVAL);
    }
    for (size_t i = 0; i < f->n; i++) {
        if (async_task_done(f->tasks[i])) {
            done++;
            failure |= failed(f->tasks[i]);
        }
    }
    if (done == f->n || (done > 0 && f->mode == ASYNC_FIRST_COMPLETED) ||
        (failure && f->mode == ASYNC_FIRST_EXCEPTION) ||
        f->timer.deadline_ns == 0) {
        f->_ret = wait_end(f);
        return ASYNC__READY;
    }
    assert(async__running != NULL && "async_wait outside a task");
    if (async__cancel_seen()) {
        f->_state = -1;
        return ASYNC__FAILED;
    }
    if (f->timer.deadline_ns != UINT64_MAX) {
        if (async__timer_start(&f->timer,
                               async__deadline_in(f->timer.deadline_ns))) {
            f->_state = -1;
            return async__raise(ASYNC_ENOMEM);
        }
        f->timed = 1;
    }
    for (size_t i = 0; i < f->n; i++)
        if (!async_task_done(f->tasks[i]))
            node_link(f->tasks[i], &f->nodes[i], wait_entry_done, f);
    f->remaining = f->n - done;
    f->waiter = async__running;
    f->_state = 1;
    return ASYNC__PENDING;
}

/* ------------------------------------------------------------------ */
/* async_as_completed                                                  */
/* ------------------------------------------------------------------ */

static void ac_queue(async_as_completed *ac, async__waiter *node) {
    node->next = NULL;
    if (ac->tail != NULL)
        ac->tail->next = node;
    else
        ac->head = node;
    ac->tail = node;
}

/* Takes every node off the tasks still running. */
static void ac_detach(async_as_completed *ac) {
    if (ac->linked > 0)
        for (size_t i = 0; i < ac->n; i++)
            if (!async_task_done(ac->tasks[i]))
                async__waiter_unlink(&ac->nodes[i].node);
    ac->linked = 0;
}

/* An entry's task has finished: its node joins the queue.  The last one
 * ends the deadline (asyncio cancels its timeout handle then too). */
static void ac_entry_done(async__waiter *node, async_task *t) {
    async_as_completed *ac = ((async_wait_node *)node)->owner;

    (void)t;
    ac_queue(ac, node);
    if (--ac->linked == 0)
        async__timer_stop(&ac->timer);
    if (ac->waiter != NULL)
        async__wake(ac->waiter);
}

static void ac_time_out(async__timer *timer) {
    async_as_completed *ac =
        (async_as_completed *)((char *)timer -
                               offsetof(async_as_completed, timer));

    ac->timed_out = 1;
    ac_detach(ac);
    if (ac->waiter != NULL)
        async__wake(ac->waiter);
}

static void ac_clear(async_as_completed *ac) {
    ac->tasks = NULL;
    ac->nodes = NULL;
    ac->n = 0;
    ac->left = 0;
    ac->linked = 0;
    ac->head = ac->tail = NULL;
    ac->timer.deadline_ns = 0;
    ac->timer.index = ASYNC__TIMER_NONE;
    ac->waiter = NULL;
    ac->timed_out = 0;
    ac->closed = 0;
}

int async_as_completed_init(async_as_completed *ac, async_task *const *tasks,
                            size_t n, async_wait_node *nodes, double timeout) {
    uint64_t ns = timeout_ns(timeout);
    size_t pending = 0;

    if (ac == NULL)
        return ASYNC_EINVAL;
    ac_clear(ac);
    if ((n > 0 && nodes == NULL) || n > INT_MAX || !entries_valid(tasks, n) ||
        async__running == NULL)
        return ASYNC_EINVAL;
    for (size_t i = 0; i < n; i++)
        pending += !async_task_done(tasks[i]);
    /* Every task finished: the deadline does not matter. */
    if (pending > 0 && ns != 0 && ns != UINT64_MAX &&
        async__timer_start_call(&ac->timer, async__deadline_in(ns),
                                ac_time_out) != 0)
        return ASYNC_ENOMEM;
    ac->tasks = tasks;
    ac->nodes = nodes;
    ac->n = n;
    ac->left = n;
    for (size_t i = 0; i < n; i++) {
        nodes[i].owner = ac;
        if (async_task_done(tasks[i])) {
            ac_queue(ac, &nodes[i].node);
        } else if (ns != 0) {
            node_link(tasks[i], &nodes[i], ac_entry_done, ac);
            ac->linked++;
        }
    }
    /* No time at all: the finished entries, then the deadline. */
    if (ns == 0 && pending > 0)
        ac->timed_out = 1;
    return 0;
}

size_t async_as_completed_pending(const async_as_completed *ac) {
    return ac != NULL ? ac->left : 0;
}

void async_as_completed_close(async_as_completed *ac) {
    if (ac == NULL || ac->closed)
        return;
    ac_detach(ac);
    async__timer_stop(&ac->timer);
    ac->head = ac->tail = NULL;
    ac->left = 0;
    ac->closed = 1;
    if (ac->waiter != NULL)
        async__wake(ac->waiter);
}

void async_as_completed_next__init(struct async_as_completed_next__frame *f,
                                   async_as_completed *ac) {
    f->_state = 0;
    f->ac = ac;
    f->_ret = 0;
}

/* Where next stands once it has something to say: the first queued
 * entry, the deadline, or nothing left.  Returns ASYNC__PENDING when it
 * has to wait. */
static int ac_take(struct async_as_completed_next__frame *f) {
    async_as_completed *ac = f->ac;
    async__waiter *node = ac->head;

    if (ac->closed || (ac->left == 0 && !ac->timed_out))
        return async__raise(ASYNC_EINVAL);
    if (node != NULL) {
        ac->head = node->next;
        if (ac->head == NULL)
            ac->tail = NULL;
        node->next = NULL;
        ac->left--;
        f->_ret = (int)((async_wait_node *)node - ac->nodes);
        return ASYNC__READY;
    }
    if (ac->timed_out) {
        ac->left = 0;
        return async__raise(ASYNC_ETIMEDOUT);
    }
    return ASYNC__PENDING;
}

/* States: 0 = not started; 1 = waiting (ac->waiter is this task); -1 =
 * done.  An entry is taken off the queue only by a next that completes
 * with it, so a cancelled next takes nothing. */
int async_as_completed_next__resume(void *frame) {
    struct async_as_completed_next__frame *f = frame;
    async_as_completed *ac = f->ac;
    int r;

    switch (f->_state) {
    case 0:
        if (ac == NULL || ac->waiter != NULL) {
            f->_state = -1;
            return async__raise(ASYNC_EINVAL);
        }
        r = ac_take(f);
        if (r != ASYNC__PENDING)
            break;
        assert(async__running != NULL && "async_as_completed_next outside a "
                                         "task");
        if (async__cancel_seen()) {
            f->_state = -1;
            return ASYNC__FAILED;
        }
        ac->waiter = async__running;
        f->_state = 1;
        return ASYNC__PENDING;
    case 1:
        if (async__cancel_seen()) {
            ac->waiter = NULL;
            f->_state = -1;
            return ASYNC__FAILED;
        }
        r = ac_take(f);
        if (r == ASYNC__PENDING)
            return r;
        ac->waiter = NULL;
        break;
    default:
        return ASYNC__READY;
    }
    f->_state = -1;
    return r;
}

/* ------------------------------------------------------------------ */
/* async_gather_tasks                                                  */
/* ------------------------------------------------------------------ */

static void joiner_wake(async__waiter *node, async_task *t) {
    (void)t;
    async__wake(((async__joiner *)node)->task); /* node is its first field */
}

void async_gather_tasks__init(struct async_gather_tasks__frame *f,
                              async_task *const *tasks, size_t n, int *errs) {
    f->_state = 0;
    f->cancelling = 0;
    f->tasks = tasks;
    f->n = n;
    f->errs = errs;
    f->next = 0;
    f->joiner.node.on_done = joiner_wake;
    f->joiner.node.next = NULL;
    f->joiner.task = NULL;
    f->_ret = 0;
}

/* The waiting task was cancelled: not failing yet, since the tasks may
 * run on while they clean up. */
static void gather_cancelled(struct async_gather_tasks__frame *f) {
    async__running->error = 0;
    f->cancelling = 1;
    for (size_t i = f->next; i < f->n; i++)
        async_cancel(f->tasks[i]);
}

/* States: 0 = not started; 1 = the joiner is on tasks[next]'s list; -1
 * = done.  The joiner is unlinked by that task's end, and then linked to
 * the next unfinished entry. */
int async_gather_tasks__resume(void *frame) {
    struct async_gather_tasks__frame *f = frame;
    int failures = 0;

    switch (f->_state) {
    case 0:
        if (!entries_valid(f->tasks, f->n)) {
            f->_state = -1;
            return async__raise(ASYNC_EINVAL);
        }
        break;
    case 1:
        if (async__cancel_seen())
            gather_cancelled(f);
        if (!async_task_done(f->tasks[f->next]))
            return ASYNC__PENDING; /* still linked */
        break;
    default:
        return ASYNC__READY;
    }
    while (f->next < f->n && async_task_done(f->tasks[f->next]))
        f->next++;
    if (f->next < f->n) {
        assert(async__running != NULL && "async_gather_tasks outside a task");
        if (f->_state == 0 && async__cancel_seen())
            gather_cancelled(f);
        f->joiner.task = async__running;
        async__waiter_link(f->tasks[f->next], &f->joiner.node, 0);
        f->_state = 1;
        return ASYNC__PENDING;
    }
    for (size_t i = 0; i < f->n; i++) {
        int code = async_task_error(f->tasks[i]);

        if (f->errs != NULL)
            f->errs[i] = code;
        failures += code != 0;
    }
    f->_state = -1;
    if (f->cancelling)
        return async__raise(ASYNC_ECANCELED);
    f->_ret = failures;
    return ASYNC__READY;
}
