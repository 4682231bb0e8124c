/* corpus: no-sync */
/*
 * async_sleep(0) interleavings: gathered tasks take turns at every
 * sleep(0), in the order they were started (the ready queue is FIFO).
 */
#include <async.h>
#include <stdio.h>

async void worker(char name, int steps) {
    for (int i = 0; i < steps; i++) {
        printf("%c%d ", name, i);
        await(async_sleep(0));
    }
    printf("%c-done ", name);
}

async int amain(void) {
    await(async_gather(worker('a', 3), worker('b', 1), worker('c', 2)));
    printf("\n");
    await(async_gather(worker('x', 2), worker('y', 2)));
    printf("\n");
    return 0;
}

int main(void) { return async_run(amain()); }
