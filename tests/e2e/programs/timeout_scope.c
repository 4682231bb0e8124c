/*
 * timeout_scope.c -- async_timeout blocks (asyncio.timeout) and
 * async_wait_for of a task handle: a deadline interrupts the block and
 * sets err to ASYNC_ETIMEDOUT; other failures, and cancellations that
 * are not the block's, go on out of it; break, continue and return end
 * the deadline; blocks nest.
 */
#include <async.h>
#include <stdio.h>

async int step(int ms, int v) {
    await(async_sleep(ms / 1000.0));
    return v;
}

async int fails(int code) {
    await(async_sleep(0.001));
    async_raise(code);
    return 0;
}

/* Three 100 ms steps under a deadline of limit_ms. */
async int three_steps(int limit_ms, int *total) {
    int err;
    *total = 0;
    async_timeout(limit_ms / 1000.0, &err) {
        *total += await(step(100, 1));
        *total += await(step(100, 2));
        *total += await(step(100, 3));
    }
    return err;
}

async int raise_inside(void) {
    int err = 7;
    async_timeout(1.0, &err) { await(fails(-5)); }
    printf("not reached\n");
    return err;
}

async int return_inside(void) {
    int err;
    async_timeout(1.0, &err) {
        int v = await(step(1, 42));
        if (v == 42)
            return v;
    }
    return -1;
}

async int loop_exits(void) {
    int err = 1, i;
    for (i = 0; i < 100; i++) {
        async_timeout(1.0, &err) {
            await(step(1, 0));
            if (i == 3)
                break;
            if (i < 2)
                continue;
        }
    }
    return i * 10 + err;
}

/* The outer deadline passes inside the inner block: the inner block
 * lets the cancellation through, the outer one reports it. */
async void nested(void) {
    int outer = 1, inner = 1;
    async_timeout(0.03, &outer) {
        async_timeout(1.0, &inner) { await(step(200, 0)); }
        printf("not reached\n");
    }
    printf("nested, outer expires: outer=%s inner=%d\n", async_strerror(outer),
           inner);
    async_timeout(1.0, &outer) {
        async_timeout(0.01, &inner) { await(step(200, 0)); }
        await(step(1, 0));
    }
    printf("nested, inner expires: outer=%d inner=%s\n", outer,
           async_strerror(inner));
}

/* Spins past its deadline without suspending: not interrupted, and the
 * deadline does not cancel a later await. */
async int no_suspension(void) {
    int err;
    double start = async_time();
    async_timeout(0.001, &err) {
        while (async_time() - start < 0.005)
            ;
    }
    await(step(5, 0));
    return err;
}

static int cleaned;

async void long_block(void) {
    int err = 1, caught;
    async_timeout(10.0, &err) {
        async_try(await(step(5000, 0)), &caught);
        cleaned = caught == ASYNC_ECANCELED;
        if (caught)
            async_raise(caught);
    }
    printf("not reached\n");
}

async int slow(int ms, int v) {
    int err;
    async_try(await(async_sleep(ms / 1000.0)), &err);
    if (err) {
        cleaned++;
        async_raise(err);
    }
    return v;
}

async int amain(void) {
    int total, err;
    err = await(three_steps(1000, &total));
    printf("in time: err=%d total=%d\n", err, total);
    double t0 = async_time();
    err = await(three_steps(150, &total));
    printf("late: %s total=%d quick=%d\n", async_strerror(err), total,
           async_time() - t0 < 0.25);
    err = await(three_steps(0, &total));
    printf("no time: %s total=%d\n", async_strerror(err), total);
    async_try(await(raise_inside()), &err);
    printf("raise inside: goes on out, %d\n", err);
    printf("return inside: %d\n", await(return_inside()));
    printf("break and continue: %d\n", await(loop_exits()));
    await(nested());
    printf("no suspension: err=%d\n", await(no_suspension()));

    /* A cancellation from outside goes through the block. */
    async_task *t = async_spawn(long_block());
    await(async_sleep(0.01));
    async_cancel(t);
    async_try(await(t), &err);
    printf("cancelled from outside: %s, cleaned=%d\n", async_strerror(err),
           cleaned);
    async_task_release(t);

    /* async_wait_for of a task: its result in time; a late task is
     * cancelled, and stopped, before the await fails. */
    cleaned = 0;
    t = async_spawn(slow(5, 7));
    printf("wait_for task in time: %d\n", await(async_wait_for(t, 1.0)));
    async_task_release(t);
    t = async_spawn(slow(5000, 8));
    int r = async_try(await(async_wait_for(t, 0.01)), &err);
    printf("wait_for late task: %d %s, task %s, cleaned=%d\n", r,
           async_strerror(err), async_strerror(async_task_error(t)), cleaned);
    async_task_release(t);
    return 0;
}

int main(void) { return async_run(amain()); }
