/* corpus: no-sync */
/*
 * Many spawned tasks at once, joined in reverse order, with results
 * that depend on their argument; a task spawned inside a loop body
 * whose locals live across the joins.
 */
#include <async.h>
#include <stdio.h>

#define TASKS 8

async int work(int id) {
    for (int i = 0; i < id % 3; i++)
        await(async_sleep(0));
    return id * 10 + 1;
}

async int amain(void) {
    async_task *tasks[TASKS];
    for (int i = 0; i < TASKS; i++)
        tasks[i] = async_spawn(work(i));
    int sum = 0;
    for (int i = TASKS - 1; i >= 0; i--) {
        int r = await(tasks[i]);
        printf("task %d -> %d\n", i, r);
        sum += r;
        async_task_release(tasks[i]);
    }
    printf("sum=%d\n", sum);
    return 0;
}

int main(void) { return async_run(amain()); }
