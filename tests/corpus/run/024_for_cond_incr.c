/*
 * Awaits in for conditions and increments, with continue (which must
 * still run the awaited increment) and break, and for(;;).
 */
#include <async.h>
#include <stdio.h>

static int steps;

async int step(int v) {
    steps++;
    await(async_sleep(0));
    return v + 1;
}

async int limit(void) {
    await(async_sleep(0));
    return 5;
}

async int amain(void) {
    int i, sum = 0;
    for (i = 0; i < await(limit()); i = await(step(i))) {
        if (i == 2)
            continue;
        sum += i;
    }
    printf("i=%d sum=%d steps=%d\n", i, sum, steps);
    for (i = 0;; i = await(step(i))) {
        if (i == 4)
            break;
        printf("loop %d\n", i);
    }
    printf("i=%d steps=%d\n", i, steps);
    int n = 0;
    for (;;) {
        n = await(step(n));
        if (n > 2)
            break;
    }
    printf("n=%d\n", n);
    for (int j = 10; j > 0; j -= await(step(2)))
        printf("j=%d\n", j);
    for (i = 0; i < 3; await(step(0)), i++)
        continue;
    printf("i=%d steps=%d\n", i, steps);
    return 0;
}

int main(void) { return async_run(amain()); }
