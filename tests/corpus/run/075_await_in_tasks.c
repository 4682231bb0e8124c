/* corpus: no-sync */
/*
 * Spawned tasks and gathered children that await the same helper while
 * interleaving through sleep(0): each keeps its own frame and locals.
 */
#include <async.h>
#include <stdio.h>

async int step(char who, int i) {
    printf("%c%d ", who, i);
    await(async_sleep(0));
    return i + 1;
}

async int run(char who, int n) {
    int i = 0, acc = 0;
    while (i < n) {
        i = await(step(who, i));
        acc += i;
    }
    return acc;
}

async int amain(void) {
    async_task *t = async_spawn(run('t', 3));
    int a = await(run('m', 2));
    int b = await(t);
    printf("\na=%d b=%d\n", a, b);
    async_task_release(t);
    return 0;
}

int main(void) { return async_run(amain()); }
