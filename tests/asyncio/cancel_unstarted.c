/* A task cancelled before its first step never runs its body: awaiting
 * it fails with ASYNC_ECANCELED; a gathering task cancelled before it
 * started starts none of its calls. */
#include <async.h>
#include <stdio.h>

async int body(const char *name) {
    printf("%s runs\n", name);
    await(async_sleep(0));
    return 1;
}

async void gatherer(void) { await(async_gather(body("g1"), body("g2"))); }

async int amain(void) {
    int err;
    async_task *t = async_spawn(body("t"));

    printf("cancel: %s, done: %s\n", async_cancel(t) == 1 ? "True" : "False",
           async_task_done(t) ? "True" : "False");
    async_try(await(t), &err);
    if (err == ASYNC_ECANCELED)
        printf("t cancelled: %s\n",
               async_task_error(t) == ASYNC_ECANCELED ? "True" : "False");
    async_task_release(t);

    async_task *g = async_spawn(gatherer());
    async_cancel(g);
    async_try(await(g), &err);
    if (err == ASYNC_ECANCELED)
        printf("gather cancelled\n");
    async_task_release(g);
    return 0;
}

int main(void) { return async_run(amain()); }
