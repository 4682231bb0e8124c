/* corpus: no-sync */
/*
 * async_time: the loop's clock advances by at least the slept time, and
 * gathered sleeps overlap instead of adding up.
 */
#include <async.h>
#include <stdio.h>

async void nap(int ms) { await(async_sleep(ms / 1000.0)); }

async int amain(void) {
    double t0 = async_time();
    await(nap(10));
    double t1 = async_time();
    printf("slept at least 10 ms: %d\n", t1 - t0 >= 0.010);
    await(async_gather(nap(30), nap(30), nap(30)));
    double t2 = async_time();
    printf("gather slept at least 30 ms: %d\n", t2 - t1 >= 0.030);
    printf("gather overlapped: %d\n", t2 - t1 < 0.085);
    printf("monotonic: %d\n", t0 <= t1 && t1 <= t2);
    return 0;
}

int main(void) { return async_run(amain()); }
