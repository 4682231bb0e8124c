/*
 * An async function whose result is a function pointer written without
 * a typedef: async int (*choose(int which))(int).
 */
#include <async.h>
#include <stdio.h>

static int twice(int v) { return 2 * v; }

static int plus_one(int v) { return v + 1; }

async int (*choose(int which))(int) {
    await(async_sleep(0));
    return which ? plus_one : twice;
}

async int amain(void) {
    int (*f)(int) = await(choose(1));
    printf("f(10)=%d\n", f(10));
    printf("direct=%d\n", await(choose(0))(10));
    return 0;
}

int main(void) { return async_run(amain()); }
