/*
 * group.c -- task groups: async_group_add and async_group_wait.
 *
 * Each member occupies a slot of the caller's array.  The slot's node
 * sits on the member's list of waiters, and its on_done, member_done,
 * is what the member's end does for it.  There the group
 * records the first failure (cancelling the other members), marks the
 * handle released (async__task_finish frees the task right after), frees
 * the slot and, when it was the last member running, wakes the waiting
 * task.  So the waiting task is woken once, not once per member, and
 * nothing walks the members except to cancel them.
 */
#include "internal.h"

#include <assert.h>

int async_group_init(async_group *g, async_group_member *slots,
                     size_t capacity) {
    if (g == NULL || slots == NULL || capacity == 0)
        return ASYNC_EINVAL;
    g->slots = slots;
    g->capacity = capacity;
    g->used = 0;
    g->free = NULL;
    g->running = 0;
    g->error = 0;
    g->failing = 0;
    g->cancelling = 0;
    g->closed = 0;
    g->owner_cancel = 0;
    g->waiter = NULL;
    g->owner = NULL;
    return 0;
}

size_t async_group_size(const async_group *g) {
    return g != NULL ? g->running : 0;
}

/* Cancels every member still running, noting that the group did it. */
static void cancel_members(async_group *g) {
    for (size_t i = 0; i < g->used; i++) {
        async_group_member *m = &g->slots[i];

        if (m->task != NULL) {
            m->cancelled = 1;
            async_cancel(m->task);
        }
    }
}

/* The first failure also interrupts the owner between its first add
 * and its wait, as asyncio.TaskGroup cancels the body of its `async
 * with`, so that the failure surfaces at once.  A cancellation already
 * requested is someone else's: the group leaves it alone, and it stays
 * ASYNC_ECANCELED at the wait. */
static void cancel_owner(async_group *g) {
    async_task *o = g->owner;

    if (o == NULL || g->waiter == o || (o->flags & ASYNC__TASK_DONE))
        return;
    if (!(o->flags & ASYNC__TASK_CANCEL)) {
        g->owner_cancel = 1;
        async_cancel(o);
    }
}

/* A member failed with `code` (or could not be added): the first code
 * is kept, and the first failure cancels the others and the owner. */
static void group_fail(async_group *g, int code) {
    if (g->error == 0)
        g->error = code;
    if (!g->failing) {
        g->failing = 1;
        cancel_members(g);
        cancel_owner(g);
    }
}

/* For a task that cannot become a member: the handle is taken over all
 * the same. */
static void discard(async_task *t) {
    if (t != NULL) {
        async_cancel(t);
        async_task_release(t);
    }
}

/* A member's failure counts unless it is the ASYNC_ECANCELED of a
 * cancellation by the group. */
static void member_result(async_group *g, int code, int cancelled) {
    if (code < 0 && !(cancelled && code == ASYNC_ECANCELED))
        group_fail(g, code);
}

/* Member t has finished (on_done of its slot's node).  Not freed here:
 * async__task_finish collects it on return. */
static void member_done(async__waiter *node, async_task *t) {
    async_group_member *m = (async_group_member *)node; /* its first field */
    async_group *g = m->group;
    int cancelled = m->cancelled;

    assert(m->task == t && !(t->flags & ASYNC__TASK_RELEASED));
    t->flags |= ASYNC__TASK_RELEASED;
    m->task = NULL;
    m->next = g->free;
    g->free = m;
    g->running--;
    member_result(g, t->error, cancelled);
    if (g->running == 0 && g->waiter != NULL)
        async__wake(g->waiter);
}

int async_group_add(async_group *g, async_task *t) {
    async_group_member *m;

    if (g == NULL || g->closed) {
        discard(t);
        return ASYNC_EINVAL;
    }
    if (g->owner == NULL)
        g->owner = async__running;
    if (t == NULL) {
        /* What async_spawn returns when out of memory. */
        group_fail(g, ASYNC_ENOMEM);
        return ASYNC_EINVAL;
    }
    assert((t->flags & ASYNC__TASK_HEAP) && "only spawned tasks have handles");
    assert(!(t->flags & ASYNC__TASK_RELEASED) && "handle released already");
    if (t->flags & ASYNC__TASK_DONE) {
        int code = t->error;

        async_task_release(t);
        member_result(g, code, 0);
        return 0;
    }
    if (g->free != NULL) {
        m = g->free;
        g->free = m->next;
    } else if (g->used < g->capacity) {
        m = &g->slots[g->used++];
    } else {
        discard(t);
        group_fail(g, ASYNC_ENOMEM);
        return ASYNC_ENOMEM;
    }
    m->node.on_done = member_done;
    async__waiter_link(t, &m->node, 0);
    m->task = t;
    m->group = g;
    m->next = NULL;
    m->cancelled = 0;
    g->running++;
    if (g->failing || g->cancelling) {
        m->cancelled = 1;
        async_cancel(t);
    }
    return 0;
}

void async_group_wait__init(struct async_group_wait__frame *f, async_group *g) {
    f->_state = 0;
    f->group = g;
    f->_ret = 0;
}

/* The waiting task was cancelled: not failing yet, since the members
 * may run on while they clean up; the wait fails once all have
 * finished.  A second cancellation reaches them again. */
static void wait_cancelled(async_group *g) {
    async__running->error = 0;
    g->cancelling = 1;
    cancel_members(g);
}

/* States: 0 = not started; 1 = waiting for running to reach 0; -1 =
 * done.  The group wakes the waiting task only when its last member
 * finishes; any other poll (a cancellation, a spurious wake) finds
 * members still running and goes on waiting. */
int async_group_wait__resume(void *frame) {
    struct async_group_wait__frame *f = frame;
    async_group *g = f->group;

    switch (f->_state) {
    case 0:
        if (g == NULL || g->closed || g->waiter != NULL) {
            f->_state = -1;
            return async__raise(ASYNC_EINVAL);
        }
        if (g->owner_cancel && g->owner == async__running) {
            /* The failure is the wait's to report now: withdraw the
             * group's request if no await has seen it yet. */
            async__running->flags &= ~ASYNC__TASK_CANCEL;
            g->owner_cancel = 0;
        }
        if (g->running == 0)
            break;
        assert(async__running != NULL && "async_group_wait outside a task");
        if (async__cancel_seen())
            wait_cancelled(g);
        g->waiter = async__running;
        f->_state = 1;
        return ASYNC__PENDING;
    case 1:
        if (async__cancel_seen())
            wait_cancelled(g);
        if (g->running > 0)
            return ASYNC__PENDING;
        g->waiter = NULL;
        break;
    default:
        return ASYNC__READY;
    }
    f->_state = -1;
    g->closed = 1;
    if (g->cancelling)
        return async__raise(ASYNC_ECANCELED);
    if (g->error < 0)
        return async__raise(g->error);
    f->_ret = 0;
    return ASYNC__READY;
}
