/*
 * Awaits in return statements: return await(f()), an expression of
 * several awaits, returns in several branches, and void returns.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int direct(int v) { return await(val(v)); }

async int expr(int a, int b) { return await(val(a)) * 10 + await(val(b)); }

async int branches(int v) {
    if (v < 0)
        return await(val(-v));
    if (v == 0)
        return 0;
    return await(direct(v)) + 1000;
}

static int ran;

async void early(int v) {
    ran = 1;
    if (v)
        return;
    await(async_sleep(0));
    ran = 2;
    return;
}

async int amain(void) {
    printf("direct: %d\n", await(direct(5)));
    printf("expr: %d\n", await(expr(4, 2)));
    printf("branches: %d %d %d\n", await(branches(-3)), await(branches(0)),
           await(branches(3)));
    await(early(1));
    printf("early(1): ran=%d\n", ran);
    await(early(0));
    printf("early(0): ran=%d\n", ran);
    return await(val(0));
}

int main(void) { return async_run(amain()); }
