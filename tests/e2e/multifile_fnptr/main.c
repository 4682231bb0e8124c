#include "handlers.h"

#include <stdio.h>

#define SPAWN_ECHO(x) echo_len((x), "macro")

/* A pointer to an async function defined in handlers.c. */
static handler_fn *remote = slow_double;

async int amain(void) {
    for (int i = 0; i < nroutes; i++)
        printf("%s: %d\n", routes[i].name, await(routes[i].run(10, "abc")));
    printf("remote: %d, is slow_double: %d\n", await(remote(21, "")),
           remote == slow_double);
    handler_fn *s = secret_handler();
    printf("secret: %d, same as the table's: %d\n", await(s(5, "")),
           s == routes[2].run);
    printf("plus one: %d %d\n", await(call_plus_one(echo_len, 1)),
           await(call_plus_one(s, 1)));
    int a = 0, b = 0;
    await(async_gather(a = routes[0].run(1, "xy"), b = remote(2, "")));
    printf("gather: %d %d\n", a, b);

    /* Spawned by name from another file, through a macro, and through
     * the table. */
    async_task *t1 = async_spawn(slow_double(50, ""));
    async_task *t2 = async_spawn(SPAWN_ECHO(7));
    async_task *t3 = async_spawn(routes[1].run(8, ""));
    int r1 = await(t1), r2 = await(t2), r3 = await(t3);
    printf("spawned: %d %d %d\n", r1, r2, r3);
    async_task_release(t1);
    async_task_release(t2);
    async_task_release(t3);
    return 0;
}

int main(void) { return async_run(amain()); }
