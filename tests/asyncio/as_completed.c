/* async_as_completed: results in the order the tasks finish, then the
 * same with a deadline that passes before the slowest have finished
 * (asyncio.as_completed). */
#include <async.h>
#include <stdio.h>

async int fetch(int i, double delay) {
    await(async_sleep(delay));
    return i * 10;
}

async int amain(void) {
    static const double delays[] = {0.3, 0.1, 0.4, 0.2};
    static const double delays2[] = {0.5, 0.1, 0.9, 0.2};
    async_task *tasks[4];
    async_wait_node nodes[4];
    async_as_completed ac;
    int errs[4], err = 0, n = 0;

    for (int i = 0; i < 4; i++)
        tasks[i] = async_spawn(fetch(i, delays[i]));
    async_as_completed_init(&ac, tasks, 4, nodes, ASYNC_NO_TIMEOUT);
    while (async_as_completed_pending(&ac)) {
        int i = await(async_as_completed_next(&ac));
        printf("got %d\n", await(tasks[i]));
    }
    for (int i = 0; i < 4; i++)
        async_task_release(tasks[i]);

    for (int i = 0; i < 4; i++)
        tasks[i] = async_spawn(fetch(i, delays2[i]));
    async_as_completed_init(&ac, tasks, 4, nodes, 0.35);
    while (async_as_completed_pending(&ac)) {
        int i = async_try(await(async_as_completed_next(&ac)), &err);
        if (err == ASYNC_ETIMEDOUT)
            printf("timed out\n");
        else
            printf("got %d\n", await(tasks[i]));
    }
    for (int i = 0; i < 4; i++)
        n += async_task_done(tasks[i]);
    printf("%d done, the others still run\n", n);
    for (int i = 0; i < 4; i++)
        async_cancel(tasks[i]);
    await(async_gather_tasks(tasks, 4, errs));
    n = 0;
    for (int i = 0; i < 4; i++) {
        n += errs[i] == ASYNC_ECANCELED;
        async_task_release(tasks[i]);
    }
    printf("%d cancelled\n", n);
    return 0;
}

int main(void) { return async_run(amain()); }
