/*
 * Awaits in while conditions and bodies, with break and continue, and a
 * while whose body is a single awaited statement.
 */
#include <async.h>
#include <stdio.h>

static int counter;

async int next(void) {
    await(async_sleep(0));
    return ++counter;
}

async int below(int v, int limit) {
    await(async_sleep(0));
    return v < limit;
}

async int amain(void) {
    int n;
    while ((n = await(next())) < 5)
        printf("n=%d\n", n);
    printf("stopped at %d\n", n);
    int i = 0, sum = 0;
    while (await(below(i, 10))) {
        i++;
        if (i % 3 == 0)
            continue;
        if (i == 8)
            break;
        sum += await(next());
    }
    printf("i=%d sum=%d counter=%d\n", i, sum, counter);
    while (await(below(counter, 12)))
        await(next());
    printf("counter=%d\n", counter);
    while (await(below(0, 0)))
        printf("never\n");
    while (1) {
        if (await(next()) > 14)
            break;
    }
    printf("counter=%d\n", counter);
    return 0;
}

int main(void) { return async_run(amain()); }
