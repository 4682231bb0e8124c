/*
 * timeouts.c -- async_wait_for: a call that finishes in time gives its
 * result; one that does not is cancelled (its cleanup runs) and the await
 * fails with ASYNC_ETIMEDOUT; a zero timeout gives no time at all.
 */
#include <async.h>
#include <stdio.h>

async int slow_answer(double seconds) {
    int err;
    async_try(await(async_sleep(seconds)), &err);
    if (err) {
        printf("slow_answer(%.2f): stopped (%s)\n", seconds,
               async_strerror(err));
        async_raise(err);
    }
    return 42;
}

async int amain(void) {
    int err;
    int v = async_try(await(async_wait_for(slow_answer(0.01), 1.0)), &err);
    printf("in time: %d, err %d\n", v, err);
    v = async_try(await(async_wait_for(slow_answer(5), 0.02)), &err);
    printf("too slow: %d, %s\n", v, async_strerror(err));
    v = async_try(await(async_wait_for(slow_answer(0), 0)), &err);
    printf("no time: %d, %s\n", v, async_strerror(err));
    /* Uncaught, a timeout fails the caller like any error. */
    await(async_wait_for(slow_answer(5), 0.01));
    printf("not reached\n");
    return 0;
}

int main(void) {
    int r = async_run(amain());
    printf("async_run: %d (%s)\n", r, r == -1 ? "timed out" : "?");
    return r == -1 ? 0 : 1;
}
