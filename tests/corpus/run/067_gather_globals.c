/*
 * async_gather in loops and in sequence, with results in globals, and
 * gathered calls that await other async functions themselves.
 */
#include <async.h>
#include <stdio.h>

static int totals[4];

async int weight(int i) {
    await(async_sleep(0));
    return i + 1;
}

async void add_to(int slot, int times) {
    for (int k = 0; k < times; k++)
        totals[slot] += await(weight(slot));
}

async int amain(void) {
    for (int round = 1; round <= 3; round++) {
        await(async_gather(add_to(0, round), add_to(1, 1), add_to(2, 2),
                           add_to(3, 0)));
        printf("round %d: %d %d %d %d\n", round, totals[0], totals[1],
               totals[2], totals[3]);
    }
    await(async_gather(add_to(3, 5)));
    printf("after: %d\n", totals[3]);
    return 0;
}

int main(void) { return async_run(amain()); }
