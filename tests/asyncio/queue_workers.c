/* Workers share a bounded queue of jobs; the producer waits for them all
 * with join, then the workers are cancelled (asyncio's Queue example). */
#include <async.h>
#include <stdint.h>
#include <stdio.h>

static int done_count, done_sum;

async void worker(int id, async_queue *q) {
    for (;;) {
        intptr_t job = (intptr_t)await(async_queue_get(q));
        await(async_sleep((double)job * 0.05));
        done_count++;
        done_sum += (int)job;
        printf("worker-%d finished job %d\n", id, (int)job);
        async_queue_task_done(q);
    }
}

async int amain(void) {
    void *slots[2];
    async_queue q;
    async_task *workers[3];
    async_queue_init(&q, slots, 2);
    for (int i = 0; i < 3; i++)
        workers[i] = async_spawn(worker(i, &q));
    for (intptr_t job = 1; job <= 6; job++) {
        await(async_queue_put(&q, (void *)job));
        printf("queued job %d\n", (int)job);
    }
    await(async_queue_join(&q));
    printf("all %d jobs done, sum %d\n", done_count, done_sum);
    for (int i = 0; i < 3; i++)
        async_cancel(workers[i]);
    for (int i = 0; i < 3; i++) {
        int err;
        async_try(await(workers[i]), &err);
        if (err == ASYNC_ECANCELED)
            printf("worker cancelled\n");
        async_task_release(workers[i]);
    }
    return 0;
}

int main(void) { return async_run(amain()); }
