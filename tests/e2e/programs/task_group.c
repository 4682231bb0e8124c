/*
 * task_group.c -- task groups: three workers where one fails, so the
 * group cancels the other two (each cleans up) and the wait fails with
 * the failure's code; then a group where every worker succeeds, one of
 * them adding another worker while the group is being waited for.
 */
#include <async.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int total;

async void worker(const char *name, double seconds, int code) {
    char *buffer = malloc(64); /* released on every path */
    int err;
    async_try(await(async_sleep(seconds)), &err);
    free(buffer);
    if (err) {
        printf("%s: %s, cleaned up\n", name, async_strerror(err));
        async_raise(err);
    }
    if (code) {
        printf("%s: failing with %s\n", name, async_strerror(code));
        async_raise(code);
    }
    total += 1;
    printf("%s: finished\n", name);
}

async void spawner(async_group *g) {
    await(async_sleep(0.01));
    printf("spawner: adding late\n");
    async_group_add(g, async_spawn(worker("late", 0.02, 0)));
}

async int amain(void) {
    async_group_member slots[4];
    async_group g;
    int err;

    async_group_init(&g, slots, 4);
    async_group_add(&g, async_spawn(worker("a", 10, 0)));
    async_group_add(&g, async_spawn(worker("b", 0.01, -EIO)));
    async_group_add(&g, async_spawn(worker("c", 10, 0)));
    async_try(await(async_group_wait(&g)), &err);
    printf("group 1: %s\n", async_strerror(err));

    async_group_init(&g, slots, 4);
    async_group_add(&g, async_spawn(worker("d", 0.02, 0)));
    async_group_add(&g, async_spawn(spawner(&g)));
    async_group_add(&g, async_spawn(worker("e", 0.01, 0)));
    async_try(await(async_group_wait(&g)), &err);
    printf("group 2: %s, %d finished\n", err ? async_strerror(err) : "ok",
           total);
    printf("add after wait: %s\n",
           async_strerror(async_group_add(&g, async_spawn(worker("x", 0, 0)))));
    await(async_sleep(0)); /* x, cancelled before it started, never runs */
    return 0;
}

int main(void) { return async_run(amain()); }
