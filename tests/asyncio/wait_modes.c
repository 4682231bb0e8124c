/* async_wait in each mode, with a timeout that cancels nothing, and a
 * waiting task cancelled while the tasks it waits for run on
 * (asyncio.wait). */
#include <async.h>
#include <stdio.h>
#include <string.h>

static const char *names[] = {"a", "bb", "ccc", "dddd"};

async int job(const char *name, double delay, int fail) {
    await(async_sleep(delay));
    if (fail) {
        printf("%s fails\n", name);
        async_raise(-EIO);
    }
    printf("%s finished\n", name);
    return (int)strlen(name);
}

static void report(const char *label, async_task **tasks, int n, int done) {
    printf("%s: %d done:", label, done);
    for (int i = 0; i < n; i++)
        printf(" %s", async_task_done(tasks[i]) ? "done" : "pending");
    printf("\n");
}

async int waiter(async_task **tasks, int n) {
    async_wait_node nodes[4];
    int err;

    async_try(await(async_wait(tasks, n, nodes, ASYNC_ALL_COMPLETED,
                               ASYNC_NO_TIMEOUT)),
              &err);
    if (err == ASYNC_ECANCELED)
        printf("waiter cancelled\n");
    if (err)
        async_raise(err);
    return 0;
}

async int amain(void) {
    async_task *tasks[4];
    async_wait_node nodes[4];
    int done, err;

    tasks[0] = async_spawn(job(names[0], 0.4, 0));
    tasks[1] = async_spawn(job(names[1], 0.1, 0));
    tasks[2] = async_spawn(job(names[2], 0.2, 1));
    tasks[3] = async_spawn(job(names[3], 0.8, 0));
    done = await(
        async_wait(tasks, 4, nodes, ASYNC_FIRST_COMPLETED, ASYNC_NO_TIMEOUT));
    report("first completed", tasks, 4, done);
    done = await(
        async_wait(tasks, 4, nodes, ASYNC_FIRST_EXCEPTION, ASYNC_NO_TIMEOUT));
    report("first exception", tasks, 4, done);
    done = await(async_wait(tasks, 4, nodes, ASYNC_ALL_COMPLETED, 0.3));
    report("timeout", tasks, 4, done);
    async_task *w = async_spawn(waiter(tasks, 4));
    await(async_sleep(0.1));
    async_cancel(w);
    async_try(await(w), &err);
    if (err == ASYNC_ECANCELED)
        printf("dddd still running: %s\n",
               async_task_done(tasks[3]) ? "False" : "True");
    async_task_release(w);
    done = await(
        async_wait(tasks, 4, nodes, ASYNC_ALL_COMPLETED, ASYNC_NO_TIMEOUT));
    report("all completed", tasks, 4, done);
    for (int i = 0; i < 4; i++) {
        if (async_task_error(tasks[i]))
            printf("result: error %s\n", names[i]);
        else
            printf("result: %d\n", await(tasks[i]));
        async_task_release(tasks[i]);
    }
    return 0;
}

int main(void) { return async_run(amain()); }
