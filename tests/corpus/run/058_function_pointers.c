/*
 * Function pointers through async functions: a function pointer
 * parameter called after an await, a function pointer result declared
 * with a typedef, and a function pointer local.
 */
#include <async.h>
#include <stdio.h>

typedef int (*unary_fn)(int);

static int twice(int v) { return 2 * v; }

static int plus_one(int v) { return v + 1; }

async int apply(int (*fn)(int), int v) {
    await(async_sleep(0));
    return fn(v);
}

async unary_fn choose(int which) {
    await(async_sleep(0));
    return which ? twice : plus_one;
}

async int amain(void) {
    printf("apply: %d %d\n", await(apply(twice, 21)),
           await(apply(plus_one, 41)));
    unary_fn f = await(choose(1));
    printf("choose: %d\n", f(10));
    printf("call result: %d\n", await(choose(0))(10));
    int (*g)(int) = await(choose(0));
    printf("local: %d\n", g(10));
    return 0;
}

int main(void) { return async_run(amain()); }
