/*
 * Awaits inside the arguments of function-like macros: an arithmetic
 * macro, a macro that calls a function, and a macro with two awaited
 * arguments.
 */
#include <async.h>
#include <stdio.h>

#define TWICE(x) ((x)*2)
#define ADD(a, b) add_plain((a), (b))
#define CLAMP(v, hi) clamp_plain((v), (hi))

static int add_plain(int a, int b) { return a + b; }

static int clamp_plain(int v, int hi) { return v > hi ? hi : v; }

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    printf("twice: %d\n", TWICE(await(val(21))));
    int t = TWICE(await(val(5))) + TWICE(3);
    printf("t: %d\n", t);
    printf("add: %d\n", ADD(await(val(2)), await(val(40))));
    printf("clamp: %d %d\n", CLAMP(await(val(50)), 10),
           CLAMP(3, await(val(9))));
    return 0;
}

int main(void) { return async_run(amain()); }
