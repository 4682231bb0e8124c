/* corpus: no-sync */
/*
 * async_spawn and await(task): int results through await, other results
 * through async_task_result, a spawned task that runs while its spawner
 * sleeps, and a released task that still finishes.
 */
#include <async.h>
#include <stdio.h>

struct pair {
    int a, b;
};

async int square(int v) {
    await(async_sleep(0));
    return v * v;
}

async double halve(int v) {
    await(async_sleep(0));
    return v / 2.0;
}

async struct pair mkpair(int a, int b) {
    await(async_sleep(0));
    struct pair p = {a, b};
    return p;
}

async void chatter(const char *who) {
    printf("%s started\n", who);
    await(async_sleep(0.002));
    printf("%s finished\n", who);
}

async int amain(void) {
    async_task *t1 = async_spawn(square(7));
    async_task *t2 = async_spawn(square(-3));
    int r2 = await(t2);
    int r1 = await(t1);
    printf("squares: %d %d\n", r1, r2);
    printf("again: %d\n", await(t1));
    async_task *th = async_spawn(halve(5));
    async_task *tp = async_spawn(mkpair(1, 2));
    await(th);
    await(tp);
    printf("halve: %.1f\n", async_task_result(th, double));
    struct pair p = async_task_result(tp, struct pair);
    printf("pair: %d %d\n", p.a, p.b);
    async_task *bg = async_spawn(chatter("bg"));
    printf("spawned, not started yet\n");
    await(async_sleep(0));
    printf("main resumed\n");
    async_task_release(bg);
    await(async_sleep(0.005));
    printf("main done\n");
    async_task_release(t1);
    async_task_release(t2);
    async_task_release(th);
    async_task_release(tp);
    return 0;
}

int main(void) { return async_run(amain()); }
