/* async_run as asyncio.run: when the main call returns, the tasks still
 * pending are cancelled and their cleanup runs to its end (awaits
 * included) before async_run returns the call's result; a task
 * cancelled before it started never runs. */
#include <async.h>
#include <stdio.h>

async void worker(const char *name, double cleanup) {
    int err;

    printf("%s starts\n", name);
    async_try(await(async_sleep(10)), &err);
    if (err == ASYNC_ECANCELED) {
        printf("%s cancelled, cleaning up\n", name);
        await(async_sleep(cleanup));
        printf("%s cleaned up\n", name);
        async_raise(err);
    }
}

async void never(void) { printf("never runs\n"); }

async int amain(void) {
    async_task_release(async_spawn(worker("w1", 0.2)));
    async_task_release(async_spawn(worker("w2", 0.05)));
    await(async_sleep(0));
    async_task *t = async_spawn(never());
    async_cancel(t);
    async_task_release(t);
    async_task_release(async_spawn(never()));
    printf("main returns\n");
    return 7;
}

int main(void) {
    int r = async_run(amain());
    printf("run returned %d\n", r);
    return 0;
}
