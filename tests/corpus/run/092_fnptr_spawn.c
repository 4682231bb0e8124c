/* corpus: no-sync */
/*
 * Tasks through async function pointers and macros: async_spawn of a
 * call through a pointer, of a table entry and of a call a macro
 * writes; failures and cancellation of awaits through pointers.
 */
#include <async.h>
#include <stdio.h>

typedef async int job_fn(int n);

#define FETCH(x) fetch((x) + 1)
#define RUN(f, x) f(x)

static async int fetch(int n) {
    await(async_sleep(0.001 * n));
    return n * 10;
}

static async int fail(int n) {
    await(async_sleep(0));
    async_raise(-n);
    return 0;
}

static async int slow(int n) {
    await(async_sleep(10.0));
    return n;
}

static job_fn *jobs[] = {fetch, fail, slow};

async int amain(void) {
    job_fn *f = fetch;
    async_task *a = async_spawn(f(1));
    async_task *b = async_spawn(jobs[0](2));
    async_task *c = async_spawn(FETCH(2));
    async_task *d = async_spawn(RUN(jobs[0], 4));
    printf("spawned: %d\n", a && b && c && d);
    int ra = await(a), rb = await(b), rc = await(c), rd = await(d);
    printf("results: %d %d %d %d\n", ra, rb, rc, rd);
    async_task_release(a);
    async_task_release(b);
    async_task_release(c);
    async_task_release(d);

    int err = 0;
    int r = async_try(await(jobs[1](5)), &err);
    printf("raised: %d %d\n", r, err);
    async_task *e = async_spawn(jobs[1](7));
    err = 0;
    async_try(await(e), &err);
    printf("task failed: %d %d\n", err, async_task_error(e));
    async_task_release(e);

    err = 0;
    r = async_try(await(async_wait_for(jobs[2](1), 0.01)), &err);
    printf("timed out: %d %s\n", r, err == ASYNC_ETIMEDOUT ? "yes" : "no");

    int x = 0, y = 0, e1 = 0, e2 = 0;
    err = 0;
    async_try(await(async_gather_failfast(async_try(x = jobs[1](3), &e1),
                                          async_try(y = jobs[2](2), &e2),
                                          jobs[1](4))),
              &err);
    printf("failfast: %d %d %d %d %s\n", x, y, e1, err,
           e2 == ASYNC_ECANCELED ? "cancelled" : "not cancelled");

    async_task *s = async_spawn(RUN(f, 3));
    async_task *t = async_spawn(jobs[2](9));
    await(async_sleep(0.01));
    printf("cancel: %d\n", async_cancel(t));
    err = 0;
    async_try(await(t), &err);
    printf("cancelled: %s, other: %d\n", err == ASYNC_ECANCELED ? "yes" : "no",
           await(s));
    async_task_release(s);
    async_task_release(t);
    return 0;
}

int main(void) { return async_run(amain()); }
