/*
 * timeouts.c -- deadlines.  async_wait_for: a call that finishes in time
 * gives its result; one that does not is cancelled (its cleanup runs)
 * and the await fails with ASYNC_ETIMEDOUT; a zero timeout gives no time
 * at all (the call, cancelled before it started, never runs); a spawned
 * task can be waited for the same way.  async_timeout:
 * one deadline over several awaits, like asyncio.timeout.
 *
 *     try:
 *         async with asyncio.timeout(0.25):
 *             for i in range(10):
 *                 await step(i)
 *     except TimeoutError: ...
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
    /* A task: it is cancelled, and stopped, when the await fails. */
    async_task *t = async_spawn(slow_answer(5));
    v = async_try(await(async_wait_for(t, 0.01)), &err);
    printf("task too slow: %d, %s; task %s\n", v, async_strerror(err),
           async_strerror(async_task_error(t)));
    async_task_release(t);

    /* One deadline over a loop of awaits: steps of 100 ms, 250 ms in all. */
    int steps = 0;
    async_timeout(0.25, &err) {
        for (int i = 0; i < 10; i++) {
            await(async_sleep(0.1));
            steps++;
        }
    }
    printf("async_timeout: %d steps, %s\n", steps, async_strerror(err));

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
