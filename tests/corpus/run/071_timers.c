/* corpus: no-sync */
/*
 * Timers of a few milliseconds: gathered sleepers finish in deadline
 * order, not start order, and equal deadlines keep start order.
 */
#include <async.h>
#include <stdio.h>

async void sleeper(const char *name, int ms) {
    await(async_sleep(ms / 1000.0));
    printf("%s woke\n", name);
}

async int amain(void) {
    await(async_gather(sleeper("slow", 30), sleeper("fast", 5),
                       sleeper("middle", 15), sleeper("zero", 0)));
    await(async_gather(sleeper("tie1", 5), sleeper("tie2", 5),
                       sleeper("tie3", 5)));
    return 0;
}

int main(void) { return async_run(amain()); }
