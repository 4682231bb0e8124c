/*
 * async/group.h -- task groups (structured concurrency), included by
 * async.h; do not include directly.
 *
 * asyncio.TaskGroup for asyncrt: spawned tasks are added to a group, and
 * awaiting async_group_wait completes once every one of them has
 * finished.  The first member to fail cancels the others and interrupts
 * the owner's awaits before the wait, and the wait then fails with its
 * code.
 *
 *     async_group_member slots[8];
 *     async_group g;
 *     async_group_init(&g, slots, 8);
 *     async_group_add(&g, async_spawn(fetch("a")));
 *     async_group_add(&g, async_spawn(fetch("b")));
 *     int err;
 *     async_try(await(async_group_wait(&g)), &err);
 *
 * Nothing is allocated: the group tracks each member in a slot of an
 * array that the caller provides (`capacity` slots), and a slot's node
 * sits on its task's list of waiters, so a finishing member tells its
 * group at once: the group records a failure, releases the handle and
 * frees the slot then, and wakes the waiting task only when the last
 * member has finished.  It never polls its members.  `capacity` bounds
 * the members unfinished at the same time, not the members added in all.
 * Members' results are not kept (handles are released): tasks report
 * their results through their arguments (a pointer to fill, say).
 *
 * The owner.  The task that made the group's first async_group_add (the
 * one running when it was called) is the group's owner: the body of
 * asyncio's `async with TaskGroup()`.  When a member fails (with any code
 * but the ASYNC_ECANCELED of a cancellation by the group itself), or a
 * task cannot be added (see async_group_add), the group, besides
 * cancelling the other members, requests the cancellation of the owner,
 * once, unless the owner is in async_group_wait already (or has a
 * cancellation request pending: that one is someone else's and stays
 * theirs).  So the owner's await in progress, or its next one that
 * suspends, fails with ASYNC_ECANCELED, and the failure surfaces at once
 * instead of after the owner's other work.  When the owner then enters
 * async_group_wait, a request of the group's that no await has seen yet
 * is withdrawn (a request made by anyone else while it is pending merges
 * with it and goes too), and the wait fails with the member's code, not
 * ASYNC_ECANCELED.  A cancellation from outside the group (async_cancel
 * of the owner, a deadline) that an await sees stays ASYNC_ECANCELED as
 * usual, and one that reaches the owner in the wait makes the wait fail
 * with ASYNC_ECANCELED.  A group whose first add came from plain code
 * (outside any task) has no owner.
 *
 *     async_group_init(&g, slots, 8);
 *     async_group_add(&g, async_spawn(fetch("a")));
 *     async_try(await(async_sleep(5)), &err);  -- ASYNC_ECANCELED if a
 *                                                member failed meanwhile
 *     async_try(await(async_group_wait(&g)), &err);  -- the member's code
 *
 * Rules:
 * - async_group_add takes over the handle in every case: the group
 *   releases it as soon as the task has finished (or at once, with the
 *   task cancelled, when the task cannot be added).
 *   Do not use the handle after adding it.
 * - A group whose members have not all finished must stay in place and
 *   alive: every path of the owner from the first add must reach the
 *   wait, also the paths on which an await in between fails (with the
 *   group's cancellation, say): catch those failures with async_try, or
 *   put the wait in an async_defer right after the init -- asyncio's
 *   `async with TaskGroup()`:
 *       async_group_init(&g, slots, 8);
 *       async_defer { await(async_group_wait(&g)); }
 *   where the wait's failure (the first member's code) replaces the
 *   cancellation that interrupted the owner.
 *   The owner must not finish before the group's wait has completed.
 *   After an async_run() that returned while members were pending, the
 *   group is unusable (initialise it again).
 * - A group is waited for once.  Once the wait has completed the group
 *   is closed: adding to it fails with ASYNC_EINVAL.
 * - Like everything in asyncrt, groups belong to the loop's thread.
 */
#ifndef ASYNC_API_GROUP_H
#define ASYNC_API_GROUP_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct async_group async_group;

/* One slot of a group: a member task and the node by which that task
 * tells the group it has finished.  Fields are private. */
typedef struct async_group_member {
    async__waiter node; /* on the member's waiters: tells the group */
    async_task *task;   /* the member, or NULL when the slot is free */
    async_group *group;
    struct async_group_member *next; /* the group's free slots */
    int cancelled;                   /* cancelled by the group */
} async_group_member;

/* A task group.  Fields are private. */
struct async_group {
    async_group_member *slots; /* the caller's array */
    size_t capacity;           /* its length */
    size_t used;               /* slots taken at least once */
    async_group_member *free;  /* slots free again */
    size_t running;            /* members that have not finished */
    int error;                 /* the first member's failure, or 0 */
    uint8_t failing;           /* members were cancelled after a failure */
    uint8_t cancelling;        /* the waiting task was cancelled */
    uint8_t closed;            /* the wait has completed */
    uint8_t owner_cancel;      /* the group requested the owner's
                                  cancellation, which may be unseen */
    async_task *waiter;        /* the task in async_group_wait, or NULL */
    async_task *owner;         /* the task that made the first add */
};

/* Initialises `g` with `capacity` member slots in `slots` (caller
 * storage that must outlive the group).  Returns 0, or ASYNC_EINVAL when
 * g or slots is NULL or capacity is 0. */
int async_group_init(async_group *g, async_group_member *slots,
                     size_t capacity);

/*
 * Adds task `t` (a handle from async_spawn) to group `g`; the group
 * takes over the handle.  Returns 0 when added.  When the group has
 * failed already (a member failed, or its waiter was cancelled), t is
 * still added, and cancelled at once.
 *
 * Otherwise t is cancelled and released (when not NULL) and:
 * - ASYNC_EINVAL: g is NULL, or the group's wait has completed;
 * - ASYNC_EINVAL: t is NULL.  async_spawn returns NULL when it runs out
 *   of memory, so the group also fails as a member failing with
 *   ASYNC_ENOMEM would: the other members are cancelled and the wait
 *   fails with ASYNC_ENOMEM (unless an earlier failure came first);
 * - ASYNC_ENOMEM: every slot holds an unfinished member; the group fails
 *   with ASYNC_ENOMEM the same way.
 *
 * A task must be added to one group at most once.  Tasks may be added at
 * any time before the wait completes, also while it is waiting (by a
 * member, say).
 */
int async_group_add(async_group *g, async_task *t);

/* Members of `g` that have not finished yet; 0 for NULL. */
size_t async_group_size(const async_group *g);

#ifdef __ASYNCC__
/*
 * Waits until every task of group `g` has finished; evaluates to 0.
 * Tasks added meanwhile are waited for too.  The first member to fail
 * (with any code, but not with the ASYNC_ECANCELED of a cancellation by
 * the group itself) makes the group cancel every other member; once all
 * have finished, the wait fails with that first code.  Cancelling the
 * waiting task cancels every member, and once all have finished the wait
 * fails with ASYNC_ECANCELED.  A group without unfinished members
 * completes at once (with the first failure's code, if any) and does not
 * see a cancellation.  When the owner enters the wait, the group's
 * unseen cancellation request of the owner is withdrawn (see "The owner"
 * above).  Errors: ASYNC_EINVAL (NULL g, the group is being
 * waited for by another task, or its wait has completed), the first
 * member's failure, ASYNC_ENOMEM (see async_group_add), ASYNC_ECANCELED.
 */
async int async_group_wait(async_group *g);
#endif /* __ASYNCC__ */

/* ------------------------------------------------------------------ */
/* Frame of the awaitable (generated-code interface)                   */
/* ------------------------------------------------------------------ */

struct async_group_wait__frame {
    int _state;
    async_group *group;
    int _ret;
};
void async_group_wait__init(struct async_group_wait__frame *f, async_group *g);
int async_group_wait__resume(void *frame);

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_GROUP_H */
