/* async_gather_tasks: every result and every error, like asyncio.gather
 * over tasks with return_exceptions=True; then a gathering task
 * cancelled, which cancels the tasks it gathers and waits for their
 * cleanup. */
#include <async.h>
#include <stdio.h>

async double square_half(int i, double delay) {
    await(async_sleep(delay));
    if (i == 1)
        async_raise(-EIO);
    return i * i / 2.0;
}

async int child(int i) {
    int err;

    async_try(await(async_sleep(10)), &err);
    if (err == ASYNC_ECANCELED)
        printf("child %d cleans up\n", i);
    if (err)
        async_raise(err);
    return 0;
}

async int gatherer(async_task **tasks, int n) {
    int err;

    /* Not a failure of the gather: the children's codes go to errs. */
    async_try(await(async_gather_tasks(tasks, n, NULL)), &err);
    if (err == ASYNC_ECANCELED)
        printf("gather cancelled\n");
    if (err)
        async_raise(err);
    return 0;
}

async int amain(void) {
    async_task *tasks[4], *children[3];
    int errs[4], err, n = 0;

    for (int i = 0; i < 4; i++)
        tasks[i] = async_spawn(square_half(i, 0.1 * (4 - i)));
    await(async_gather_tasks(tasks, 4, errs));
    for (int i = 0; i < 4; i++) {
        if (errs[i])
            printf("task %d: failed\n", i);
        else
            printf("task %d: %.1f\n", i, async_task_result(tasks[i], double));
        async_task_release(tasks[i]);
    }

    for (int i = 0; i < 3; i++)
        children[i] = async_spawn(child(i));
    async_task *g = async_spawn(gatherer(children, 3));
    await(async_sleep(0.1));
    async_cancel(g);
    async_try(await(g), &err);
    async_task_release(g);
    for (int i = 0; i < 3; i++) {
        n += async_task_error(children[i]) == ASYNC_ECANCELED;
        async_task_release(children[i]);
    }
    printf("children cancelled: %d\n", n);
    return 0;
}

int main(void) { return async_run(amain()); }
