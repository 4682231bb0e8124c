/*
 * async/wait.h -- waiting on collections of task handles, included by
 * async.h; do not include directly.
 *
 * asyncio.wait, asyncio.as_completed and asyncio.gather over tasks, for
 * handles from async_spawn kept in an array `tasks` of `n` entries:
 *
 *     async_task *tasks[3];
 *     async_wait_node nodes[3];
 *     ...
 *     int done = await(async_wait(tasks, 3, nodes, ASYNC_FIRST_COMPLETED,
 *                                 ASYNC_NO_TIMEOUT));
 *     for (int i = 0; i < 3; i++)
 *         if (async_task_done(tasks[i])) ...
 *
 *     async_as_completed ac;
 *     async_as_completed_init(&ac, tasks, 3, nodes, 5.0);
 *     while (async_as_completed_pending(&ac)) {
 *         int i = await(async_as_completed_next(&ac));
 *         ... async_task_result(tasks[i], double) ...
 *     }
 *
 *     int errs[3];
 *     await(async_gather_tasks(tasks, 3, errs));
 *
 * Nothing is allocated.  async_wait and async_as_completed put one node
 * per entry, from the caller's array `nodes` (n of them), on that
 * entry's task's list of waiters, so a finishing task tells them at
 * once; async_gather_tasks joins one task at a time with a node in its
 * own frame.  None of them polls the tasks.
 *
 * Rules common to all three:
 * - Each entry of `tasks` is a handle from async_spawn.  The handles
 *   stay the caller's: nothing here releases them, and none may be
 *   released (nor handed to a group, which releases them) while one of
 *   these waits on it.  Read results afterwards with await(tasks[i]),
 *   async_task_result(tasks[i], T) or async_task_error(tasks[i]), then
 *   release each handle.
 * - A handle may appear more than once in `tasks`; each entry is a task
 *   of its own for counting (asyncio makes a set of them).
 * - The arrays must stay in place and unchanged while anything waits on
 *   them; nothing refers to them once the await has completed (or, for
 *   async_as_completed, see there).
 * - Only inside async functions.  Like everything in asyncrt, these
 *   belong to the loop's thread.  After an async_run() that returned
 *   while one of them was pending, the arrays and an async_as_completed
 *   may be used again only after initialising them again (tasks of that
 *   run are gone).
 */
#ifndef ASYNC_API_WAIT_H
#define ASYNC_API_WAIT_H

#ifdef __cplusplus
extern "C" {
#endif

/* async_wait's `mode`: when it returns (asyncio's return_when). */
enum {
    ASYNC_FIRST_COMPLETED = 1, /* once any task has finished */
    ASYNC_FIRST_EXCEPTION = 2, /* once any has failed with a code other
                                  than ASYNC_ECANCELED, or all have
                                  finished */
    ASYNC_ALL_COMPLETED = 3    /* once every task has finished */
};

/* A `timeout` argument that means no deadline (asyncio's None): any
 * negative number, or +infinity, means the same. */
#define ASYNC_NO_TIMEOUT (-1.0)

/* One entry's node: what the entry's task tells when it finishes.  The
 * caller provides one per entry (an array of n) and never touches the
 * fields.  24 bytes. */
typedef struct async_wait_node {
    async__waiter node; /* on the task's waiters, or on as_completed's
                           queue of finished entries */
    void *owner;        /* the wait or the async_as_completed */
} async_wait_node;

/* Iteration in completion order: see async_as_completed_init.  Fields
 * are private. */
typedef struct async_as_completed {
    async_task *const *tasks;
    async_wait_node *nodes;
    size_t n;
    size_t left;         /* entries next has not returned yet */
    size_t linked;       /* nodes still on a task's waiters */
    async__waiter *head; /* finished entries not returned yet, in order */
    async__waiter *tail; /* of finishing, linked through node.next */
    async__timer timer;  /* the deadline, while armed */
    async_task *waiter;  /* the task in next, or NULL */
    uint8_t timed_out;   /* the deadline passed */
    uint8_t closed;      /* async_as_completed_close was called */
} async_as_completed;

/*
 * async_as_completed_init(ac, tasks, n, nodes, timeout) -- like
 * asyncio.as_completed(tasks, timeout=timeout): prepares `ac` to return
 * the entries of `tasks` in the order their tasks finish, through
 * await(async_as_completed_next(ac)).  Entries whose tasks have
 * finished already come first, in array order.  `nodes` is caller
 * storage for n nodes.  The deadline counts from this call: `timeout`
 * seconds (ASYNC_NO_TIMEOUT or any negative number: none; 0 or NaN:
 * passed at once).  Once it has passed, the entries that had finished
 * by then are still returned, and then next fails with ASYNC_ETIMEDOUT;
 * the tasks themselves are not cancelled.  Once every task has
 * finished, the deadline no longer matters.
 *
 * Returns 0, ASYNC_EINVAL (ac NULL; tasks or nodes NULL while n > 0; an
 * entry NULL; n larger than INT_MAX; called outside a task), or
 * ASYNC_ENOMEM (the deadline's timer could not be armed).  On an error
 * ac is left with nothing pending and refers to nothing.  n == 0 is
 * valid: nothing is pending.
 *
 * ac refers to tasks, nodes and itself (in the loop's timers and the
 * tasks' waiters) until next has returned every entry or has failed
 * with ASYNC_ETIMEDOUT; to stop before that (leaving the loop early, a
 * failure), call async_as_completed_close before any of them goes away
 * or is reused.
 */
int async_as_completed_init(async_as_completed *ac, async_task *const *tasks,
                            size_t n, async_wait_node *nodes, double timeout);

/* The number of entries next has yet to return: the loop condition.
 * 0 once next has failed with ASYNC_ETIMEDOUT, after
 * async_as_completed_close, and for NULL. */
size_t async_as_completed_pending(const async_as_completed *ac);

/* Stops the iteration: takes ac's nodes off the tasks that have not
 * finished and stops its deadline, so that nothing refers to ac, tasks
 * or nodes any more; pending becomes 0 and next fails with ASYNC_EINVAL
 * (also a next that is waiting: it is woken).  Closing again, or a NULL
 * ac, does nothing.  Tasks are not cancelled. */
void async_as_completed_close(async_as_completed *ac);

#ifdef __ASYNCC__
/*
 * Waits until at least one task of `tasks[0..n-1]` has finished, or
 * all, as `mode` says (ASYNC_FIRST_COMPLETED, ASYNC_FIRST_EXCEPTION,
 * ASYNC_ALL_COMPLETED), or until `timeout` seconds have passed since
 * the await started (ASYNC_NO_TIMEOUT or any negative number: no
 * deadline; 0 or NaN: no waiting); like asyncio.wait.  Evaluates to
 * the number of entries whose task has finished when the wait returns:
 * async_task_done tells which, and the others are still pending.  A
 * deadline that passes is not a failure, and it cancels nothing.
 * `nodes` is caller storage for n nodes.
 *
 * ASYNC_FIRST_EXCEPTION counts a task as failed when it finished with
 * a code other than ASYNC_ECANCELED (asyncio does not count cancelled
 * tasks); it returns once one has, or once all have finished.
 *
 * When the condition holds at the start (or the timeout is 0), the
 * await completes at once without suspending and so does not see a
 * cancellation (asyncio.wait always yields once).  Otherwise, cancelling
 * the waiting task (also before the await, with a request not yet seen)
 * makes the await fail with ASYNC_ECANCELED; the tasks are not
 * cancelled.
 *
 * Errors: ASYNC_EINVAL when tasks or nodes is NULL, n is 0 or larger
 * than INT_MAX, an entry is NULL or mode is none of the three (nothing
 * has happened then); ASYNC_ENOMEM when the deadline's timer cannot be
 * armed; ASYNC_ECANCELED.
 */
async int async_wait(async_task *const *tasks, size_t n, async_wait_node *nodes,
                     int mode, double timeout);

/*
 * The next entry of `ac` whose task has finished, in the order they
 * finished: evaluates to its index in the array given to
 * async_as_completed_init (so tasks[i] is the task: read its result or
 * error from the handle; the entry of a failed task is returned like
 * any other, it does not fail the await).  An index rather than the
 * handle, since it tells which entry it is when a handle appears twice,
 * and indexes the caller's own per-task data.  Completes at once when
 * an entry finished and has not been returned yet; waits otherwise.
 *
 * Cancellation-safe: cancelling the waiting task makes the await fail
 * with ASYNC_ECANCELED and takes no entry, so a later next returns the
 * entries that finished meanwhile.  The tasks are not cancelled.
 *
 * Errors: ASYNC_ETIMEDOUT once the deadline has passed and every entry
 * finished before it has been returned (pending is 0 from then on, and
 * every further next fails the same way); ASYNC_EINVAL for NULL, when
 * no entry is left (pending is 0), after async_as_completed_close, or
 * when another task is waiting in next on the same ac; ASYNC_ECANCELED.
 */
async int async_as_completed_next(async_as_completed *ac);

/*
 * Waits until every task of `tasks[0..n-1]` has finished, like
 * asyncio.gather(*tasks, return_exceptions=True): the await does not
 * fail because a task failed.  Then, when `errs` is not NULL, errs[i]
 * is the code tasks[i] failed with, or 0 when it succeeded
 * (async_task_error); the await evaluates to the number of entries
 * whose task failed.  Results are read from the handles afterwards:
 * await(tasks[i]) (an int) or async_task_result(tasks[i], T) for any
 * type (double, a pointer, a struct...).  With n == 0, or when every
 * task has finished already, the await completes at once without
 * suspending (and so without seeing a cancellation).
 *
 * Cancelling the waiting task cancels every task that has not finished
 * (again at each further cancellation) and waits until all have
 * finished; then errs is filled as above and the await fails with
 * ASYNC_ECANCELED, as asyncio.gather cancels its children.
 *
 * Errors: ASYNC_EINVAL when tasks is NULL while n > 0, or an entry is
 * NULL (nothing has happened then); ASYNC_ECANCELED.
 */
async int async_gather_tasks(async_task *const *tasks, size_t n, int *errs);
#endif /* __ASYNCC__ */

/* ------------------------------------------------------------------ */
/* Frames of the awaitables (generated-code interface)                 */
/* ------------------------------------------------------------------ */

struct async_wait__frame {
    int _state;
    int mode;
    async_task *const *tasks;
    size_t n;
    async_wait_node *nodes;
    size_t remaining;   /* nodes still on a task's waiters */
    async_task *waiter; /* the waiting task */
    /* Until the first resume, timer.deadline_ns holds the time allowed
     * in nanoseconds (UINT64_MAX: none). */
    async__timer timer;
    uint8_t timed;     /* the timer was armed */
    uint8_t satisfied; /* mode's condition holds: return */
    int _ret;
};
void async_wait__init(struct async_wait__frame *f, async_task *const *tasks,
                      size_t n, async_wait_node *nodes, int mode,
                      double timeout);
int async_wait__resume(void *frame);

struct async_as_completed_next__frame {
    int _state;
    async_as_completed *ac;
    int _ret;
};
void async_as_completed_next__init(struct async_as_completed_next__frame *f,
                                   async_as_completed *ac);
int async_as_completed_next__resume(void *frame);

struct async_gather_tasks__frame {
    int _state;
    uint8_t cancelling; /* the waiting task was cancelled */
    async_task *const *tasks;
    size_t n;
    int *errs;
    size_t next;          /* entries before it have finished */
    async__joiner joiner; /* on tasks[next]'s waiters while waiting */
    int _ret;
};
void async_gather_tasks__init(struct async_gather_tasks__frame *f,
                              async_task *const *tasks, size_t n, int *errs);
int async_gather_tasks__resume(void *frame);

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_WAIT_H */
