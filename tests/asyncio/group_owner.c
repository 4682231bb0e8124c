/* A task group whose member fails interrupts its owner's awaits before
 * the wait: the owner's sleep fails at once, its cleanup runs, and the
 * wait fails with the member's code (an ExceptionGroup in Python); a
 * cancellation from outside while the owner waits for the group stays a
 * cancellation. */
#include <async.h>
#include <errno.h>
#include <stdio.h>

async void failing(double delay) {
    await(async_sleep(delay));
    printf("member fails\n");
    async_raise(-EIO);
}

async void long_member(void) {
    int err;

    async_try(await(async_sleep(10)), &err);
    if (err) {
        printf("long member cancelled\n");
        async_raise(err);
    }
}

/* `async with asyncio.TaskGroup() as tg:` -- the wait runs on every way
 * out of the block, here when the interrupted sleep's failure leaves it;
 * the wait's failure (the member's) replaces that cancellation. */
async void group_block(async_group *g, double start) {
    int err;

    async_defer { await(async_group_wait(g)); }
    async_group_add(g, async_spawn(long_member()));
    async_group_add(g, async_spawn(failing(0.01)));
    async_try(await(async_sleep(10)), &err);
    if (err == ASYNC_ECANCELED) {
        printf("body interrupted early: %s\n",
               async_time() - start < 5 ? "True" : "False");
        await(async_sleep(0.01));
        printf("body cleaned up\n");
        async_raise(err);
    }
}

async void body(void) {
    async_group_member slots[2];
    async_group g;
    int err;

    async_group_init(&g, slots, 2);
    async_try(await(group_block(&g, async_time())), &err);
    if (err == -EIO)
        printf("group failed with the member's error\n");
}

async void owner(void) {
    async_group_member slots[1];
    async_group g;

    async_group_init(&g, slots, 1);
    async_group_add(&g, async_spawn(long_member()));
    await(async_group_wait(&g));
}

async void cancelled_from_outside(void) {
    int err;
    async_task *t = async_spawn(owner());

    await(async_sleep(0.01));
    async_cancel(t);
    async_try(await(t), &err);
    if (err == ASYNC_ECANCELED)
        printf("owner cancelled from outside\n");
    async_task_release(t);
}

async int amain(void) {
    await(body());
    await(cancelled_from_outside());
    return 0;
}

int main(void) { return async_run(amain()); }
