/*
 * The comma operator: (a(), await(b()), c()) evaluates left to right;
 * its value is the last operand.  Also commas in a for loop's increment.
 */
#include <async.h>
#include <stdio.h>

static int order;

static int a(void) {
    printf("a at %d\n", order++);
    return 1;
}

async int b(void) {
    printf("b at %d\n", order++);
    await(async_sleep(0));
    return 2;
}

static int c(void) {
    printf("c at %d\n", order++);
    return 3;
}

async int amain(void) {
    int r = (a(), await(b()), c());
    printf("r=%d\n", r);
    r = (a(), c(), await(b()));
    printf("r=%d\n", r);
    r = (await(b()), a(), await(b()));
    printf("r=%d\n", r);
    int i, n = 0;
    for (i = 0, n = 10; i < 2; i++, await(b()), n++)
        printf("body i=%d n=%d\n", i, n);
    printf("after i=%d n=%d\n", i, n);
    int k = 0;
    k++, k += await(b()), k *= 10;
    printf("k=%d\n", k);
    return 0;
}

int main(void) { return async_run(amain()); }
