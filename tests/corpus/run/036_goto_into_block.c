/*
 * goto into the middle of a loop body and into a nested block, with
 * awaits on both sides of the label.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    int i = 0, trace = 0;
    goto inside;
    while (i < 4) {
        trace = trace * 10 + await(val(1));
    inside:
        trace = trace * 10 + await(val(2));
        i++;
    }
    printf("i=%d trace=%d\n", i, trace);
    int n = await(val(3));
    if (n > 2)
        goto deep;
    {
        n = await(val(100));
    deep:
        n += await(val(10));
    }
    printf("n=%d\n", n);
    return 0;
}

int main(void) { return async_run(amain()); }
