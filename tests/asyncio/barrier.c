/* asyncio.Barrier: arrival indexes, a second cycle, tasks arriving while
 * it drains, abort and reset (-EPIPE for BrokenBarrierError), and
 * cancellation while filling (the task leaves; indexes are taken again)
 * and after the release. */
#include <async.h>
#include <errno.h>
#include <stdio.h>

async int party(async_barrier *b, const char *name, int n, double delay,
                int rounds) {
    int index = -1, err;

    if (delay >= 0)
        await(async_sleep(delay));
    for (int i = 0; i < rounds; i++) {
        printf("%s%d arrives\n", name, n);
        index = async_try(await(async_barrier_wait(b)), &err);
        if (err == -EPIPE) {
            printf("%s%d: broken\n", name, n);
            return -1;
        }
        if (err == ASYNC_ECANCELED) {
            printf("%s%d: cancelled\n", name, n);
            async_raise(err);
        }
        printf("%s%d leaves with index %d\n", name, n, index);
    }
    return index;
}

static const char *yes_no(int v) { return v ? "True" : "False"; }

async void cycles(void) {
    async_barrier b;
    async_task *t[3];

    async_barrier_init(&b, 3);
    for (int i = 0; i < 2; i++)
        t[i] = async_spawn(party(&b, "p", i, -1, 2));
    await(async_sleep(0));
    printf("waiting: %d of %d\n", async_barrier_n_waiting(&b),
           async_barrier_parties(&b));
    t[2] = async_spawn(party(&b, "p", 2, -1, 2));
    for (int i = 0; i < 3; i++) {
        await(t[i]);
        async_task_release(t[i]);
    }
    printf("waiting: %d, broken: %s\n", async_barrier_n_waiting(&b),
           yes_no(async_barrier_broken(&b)));
}

async void abort_and_reset(void) {
    async_barrier b;
    async_task *t[2], *late, *last;
    int err;

    async_barrier_init(&b, 3);
    for (int i = 0; i < 2; i++)
        t[i] = async_spawn(party(&b, "a", i, -1, 1));
    await(async_sleep(0));
    async_barrier_abort(&b);
    printf("aborted: broken %s, waiting %d\n", yes_no(async_barrier_broken(&b)),
           async_barrier_n_waiting(&b));
    for (int i = 0; i < 2; i++) {
        await(t[i]);
        async_task_release(t[i]);
    }
    async_try(await(async_barrier_wait(&b)), &err);
    if (err == -EPIPE)
        printf("main: broken\n");
    async_barrier_reset(&b);
    printf("reset: broken %s\n", yes_no(async_barrier_broken(&b)));
    for (int i = 0; i < 2; i++)
        t[i] = async_spawn(party(&b, "r", i, 0, 1));
    await(async_sleep(0));
    printf("main leaves with index %d\n", await(async_barrier_wait(&b)));
    for (int i = 0; i < 2; i++) {
        await(t[i]);
        async_task_release(t[i]);
    }

    async_barrier_init(&b, 3);
    for (int i = 0; i < 2; i++)
        t[i] = async_spawn(party(&b, "s", i, -1, 1));
    await(async_sleep(0));
    late = async_spawn(party(&b, "l", 0, -1, 1));
    async_barrier_reset(&b);
    printf("reset: waiting %d, broken %s\n", async_barrier_n_waiting(&b),
           yes_no(async_barrier_broken(&b)));
    for (int i = 0; i < 2; i++) {
        await(t[i]);
        async_task_release(t[i]);
    }
    await(async_sleep(0.01));
    printf("waiting: %d\n", async_barrier_n_waiting(&b));
    last = async_spawn(party(&b, "l", 1, 0, 1));
    printf("main leaves with index %d\n", await(async_barrier_wait(&b)));
    await(late);
    async_task_release(late);
    await(last);
    async_task_release(last);
}

async void cancelled(void) {
    async_barrier b;
    async_task *c[4], *d0;
    int err;

    async_barrier_init(&b, 3);
    c[0] = async_spawn(party(&b, "c", 0, -1, 1));
    c[1] = async_spawn(party(&b, "c", 1, -1, 1));
    await(async_sleep(0));
    async_cancel(c[0]);
    async_try(await(c[0]), &err);
    async_task_release(c[0]);
    printf("waiting: %d\n", async_barrier_n_waiting(&b));
    c[2] = async_spawn(party(&b, "c", 2, 0, 1));
    c[3] = async_spawn(party(&b, "c", 3, 0, 1));
    int r1 = await(c[1]);
    int r2 = await(c[2]);
    int r3 = await(c[3]);
    printf("results %d %d %d\n", r1, r2, r3);
    for (int i = 1; i < 4; i++)
        async_task_release(c[i]);

    async_barrier_init(&b, 2);
    d0 = async_spawn(party(&b, "d", 0, -1, 1));
    await(async_sleep(0));
    printf("main leaves with index %d\n", await(async_barrier_wait(&b)));
    async_cancel(d0);
    async_try(await(d0), &err);
    async_task_release(d0);
    printf("waiting: %d\n", async_barrier_n_waiting(&b));
}

async int amain(void) {
    await(cycles());
    await(abort_and_reset());
    await(cancelled());
    return 0;
}

int main(void) { return async_run(amain()); }
