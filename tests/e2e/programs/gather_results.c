/*
 * gather_results.c -- what async_gather gives back: results stored by
 * `x = call`, failures caught per call with async_try (so the caller
 * learns which call failed and why), and async_gather_failfast, where
 * the first failure cancels the other calls.
 */
#include <async.h>
#include <stdio.h>

typedef struct point {
    int x, y;
} point;

/* Sleeps `ms` milliseconds, then returns `v`, or fails when v < 0. */
async int after(int ms, int v) {
    await(async_sleep(ms / 1000.0));
    if (v < 0)
        async_raise(v);
    return v;
}

async point make_point(int x, int y) {
    await(async_sleep(0));
    point p = {x, y};
    return p;
}

/* Records whether it ran to its end or was stopped. */
async void worker(const char *name, int ms, int *finished) {
    int err;
    async_try(await(async_sleep(ms / 1000.0)), &err);
    printf("%s: %s\n", name, err ? async_strerror(err) : "finished");
    if (err)
        async_raise(err);
    *finished = 1;
}

async double half(int v) {
    await(async_sleep(0.001));
    return v / 2.0;
}

async int recurse(int n) {
    if (n == 0)
        return 0;
    int a = 0, b = 0;
    await(async_gather(a = recurse(n - 1), b = after(1, n)));
    return a + b;
}

async int amain(void) {
    /* Results, in any lvalue: locals, array elements, struct members. */
    int a = 0, b[2] = {0, 0};
    point p = {0, 0};
    double h = 0;
    await(async_gather(a = after(20, 1), b[1] = after(10, 2),
                       p = make_point(3, 4), h = half(5)));
    printf("results: %d %d %d (%d, %d) %.1f\n", a, b[0], b[1], p.x, p.y, h);

    /* Which call failed: each caught with its own code. */
    int e1 = 1, e2 = 1, e3 = 1, r1 = -1, r3 = -1;
    await(async_gather(async_try(r1 = after(5, 10), &e1),
                       async_try(after(1, ASYNC_EINVAL), &e2),
                       async_try(r3 = after(3, ASYNC_ETIMEDOUT), &e3)));
    printf("caught: r1=%d e1=%d | e2=%s | r3=%d e3=%s\n", r1, e1,
           async_strerror(e2), r3, async_strerror(e3));

    /* Uncaught: the siblings run on, the gather fails afterwards with
     * the first failure, and the successful results are still stored. */
    int err, s1 = 0, s2 = 0, done = 0;
    async_try(await(async_gather(s1 = after(30, 7), after(5, ASYNC_EINVAL),
                                 s2 = after(10, 8), worker("slow", 40, &done))),
              &err);
    printf("gather: %s, s1=%d s2=%d slow finished=%d\n", async_strerror(err),
           s1, s2, done);

    /* Failfast: the first failure cancels the others. */
    int f1 = 0, f2 = 0, ce = 0;
    double start = async_time();
    async_try(await(async_gather_failfast(
                  worker("w1", 500, &f1), after(10, ASYNC_EINVAL),
                  worker("w2", 500, &f2), async_try(after(500, 1), &ce))),
              &err);
    printf("failfast: %s, w1=%d w2=%d caught=%s, quick=%d\n",
           async_strerror(err), f1, f2, async_strerror(ce),
           async_time() - start < 0.4);

    /* Failfast without a failure is a plain gather. */
    int x = 0, y = 0;
    await(async_gather_failfast(x = after(2, 5), y = after(1, 6)));
    printf("failfast ok: %d %d\n", x, y);

    /* A caught failure does not trigger failfast. */
    int ec = 0;
    f1 = 0;
    await(async_gather_failfast(async_try(after(1, ASYNC_EINVAL), &ec),
                                worker("w3", 20, &f1)));
    printf("caught in failfast: %s, w3=%d\n", async_strerror(ec), f1);

    printf("recurse: %d\n", await(recurse(4)));
    return 0;
}

int main(void) { return async_run(amain()); }
