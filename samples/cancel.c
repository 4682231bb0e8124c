/*
 * cancel.c -- cancellation: a cancelled task stops at the await it is
 * suspended in, which fails with ASYNC_ECANCELED; a task that catches it
 * cleans up and re-raises; awaiting a cancelled task fails the same way;
 * cancelling a gathering task cancels its children; in a failfast
 * gather, the first failure cancels the other calls.
 */
#include <async.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int cleaned_up;

async void worker(const char *name) {
    char *buffer = malloc(64); /* released on every path */
    int err;
    async_try(await(async_sleep(10)), &err);
    free(buffer);
    if (err) {
        cleaned_up++;
        printf("%s: cancelled, cleaned up\n", name);
        async_raise(err);
    }
    printf("%s: finished\n", name);
}

async void pair(void) { await(async_gather(worker("left"), worker("right"))); }

/* Fails with -ENOENT after `seconds`. */
async void lookup(const char *name, double seconds) {
    await(async_sleep(seconds));
    printf("%s: not found\n", name);
    async_raise(-ENOENT);
}

async int amain(void) {
    async_task *t = async_spawn(worker("solo"));
    await(async_sleep(0.01)); /* let it start sleeping */
    printf("cancel: %d\n", async_cancel(t));
    int err;
    async_try(await(t), &err);
    printf("await(t): %s\n", async_strerror(err));
    printf("again: %d, error %s\n", async_cancel(t),
           async_task_error(t) == ASYNC_ECANCELED ? "ECANCELED" : "?");
    async_task_release(t);

    async_task *g = async_spawn(pair());
    await(async_sleep(0.01));
    async_cancel(g);
    async_try(await(g), &err);
    printf("pair: %s, cleaned up %d\n", async_strerror(err), cleaned_up);
    async_task_release(g);

    /* The lookup fails after 10 ms; failfast cancels the two workers
     * then, instead of letting them sleep their 10 seconds. */
    double start = async_time();
    async_try(await(async_gather_failfast(worker("first"), lookup("key", 0.01),
                                          worker("second"))),
              &err);
    printf("failfast: %s, cleaned up %d, within a second: %s\n",
           async_strerror(err), cleaned_up,
           async_time() - start < 1 ? "yes" : "no");
    printf("cancel(NULL): %d\n", async_cancel(NULL) == ASYNC_EINVAL);
    return 0;
}

int main(void) { return async_run(amain()); }
