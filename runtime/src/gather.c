/*
 * gather.c -- async_gather(): children run as tasks embedded in the
 * gathering frame, and the gathering task waits for a counter to reach 0.
 *
 * Nothing is allocated: each child's async_task and frame are members of
 * the caller's frame, which cannot complete (and so cannot go away)
 * before every child has finished.
 */
#include "internal.h"

void async__gather_init(async__gather *g) {
    g->remaining = 0;
    g->waiter = NULL;
}

/* Children are queued now and first polled on the loop's next pass, in
 * the order they were added. */
void async__gather_add(async__gather *g, async_task *child, async__poll_fn poll,
                       void *frame, const char *name) {
    async__task_init(child, poll, frame, name);
    child->group = g;
    g->remaining++;
    async__wake(child);
}

int async__gather_poll(async__gather *g) {
    if (g->remaining == 0) {
        g->waiter = NULL;
        return ASYNC__READY;
    }
    /* The last child to finish wakes whichever task polled last. */
    g->waiter = async__current();
    return ASYNC__PENDING;
}
