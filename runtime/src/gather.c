/*
 * gather.c -- async_gather(): children run as tasks embedded in the
 * gathering frame, and the gathering task waits for a counter to reach 0.
 *
 * Nothing is allocated: each child's async_task and frame are members of
 * the caller's frame, which cannot complete (and so cannot go away)
 * before every child has finished.  That holds for failures too: a child
 * that fails does not stop its siblings, and a cancelled gather cancels
 * its children and still waits until every one of them has stopped.
 *
 * Each child is an async__child: the task, and the links of the
 * gather's list of children.  A child tells its gather of its end the
 * way every task tells whoever waits for it: through a node on its list
 * of waiters.  A child has no handle, so nothing else ever waits for it
 * and that node is alone on its list: one node per thread, whose next
 * stays NULL, serves every child (a node of their own would not fit in
 * async__child, whose size generated frames depend on).
 */
#include "internal.h"

static void child_done(async__waiter *node, async_task *t);

static _Thread_local async__waiter child_node = {child_done, NULL};

void async__gather_init(async__gather *g) {
    g->remaining = 0;
    g->error = 0;
    g->cancelling = 0;
    g->failfast = 0;
    g->waiter = NULL;
    g->children = NULL;
    g->last = NULL;
}

/* Children are queued now and first polled on the loop's next pass, in
 * the order they were added. */
void async__gather_add(async__gather *g, async__child *child,
                       async__poll_fn poll, void *frame, const char *name) {
    async__child_init(child, poll, frame, name);
    child->group = g;
    child->waiters = &child_node;
    if (g->children == NULL)
        g->children = child;
    else
        g->last->next = child;
    g->last = child;
    g->remaining++;
    async__wake(&child->task);
}

void async__gather_failfast(async__gather *g) { g->failfast = 1; }

void async__gather_catch(async__child *child) {
    child->task.flags |= ASYNC__TASK_CAUGHT;
}

/* Child `t` has finished: records its failure unless caught, cancels
 * the siblings of a failfast gather, and wakes the gathering task after
 * the last one. */
static void child_done(async__waiter *node, async_task *t) {
    async__gather *g = ((async__child *)t)->group;

    (void)node;
    if (t->error < 0 && !(t->flags & ASYNC__TASK_CAUGHT) && g->error == 0) {
        g->error = t->error;
        /* The siblings stop at their current await; their frames live in
         * the gathering frame, so the gather still waits for each. */
        if (g->failfast)
            for (async__child *c = g->children; c != NULL; c = c->next)
                if (&c->task != t)
                    async_cancel(&c->task);
    }
    if (--g->remaining == 0 && g->waiter != NULL)
        async__wake(g->waiter);
}

/* The gather waits from its first poll on (children are first polled on
 * the next pass, so `remaining` is the number of children then); a gather
 * without children is ready at once and sees no cancellation. */
int async__gather_poll(async__gather *g) {
    async_task *self = async__running;
    int waiting = g->remaining > 0 || g->waiter != NULL;

    if (waiting && async__cancel_seen()) {
        /* Not failing yet: the children's frames live in ours, so we
         * stay until each has stopped.  Cancelling again reaches the
         * children that are still running once more. */
        self->error = 0;
        g->cancelling = 1;
        for (async__child *c = g->children; c != NULL; c = c->next)
            async_cancel(&c->task);
    }
    if (g->remaining > 0) {
        /* The last child to finish wakes whichever task polled last. */
        g->waiter = self;
        return ASYNC__PENDING;
    }
    g->waiter = NULL;
    if (g->cancelling)
        return async__raise(ASYNC_ECANCELED);
    if (g->error < 0)
        return async__raise(g->error);
    return ASYNC__READY;
}
