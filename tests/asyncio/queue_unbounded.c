/* An unbounded queue (Queue() without maxsize): the producer puts every
 * job without ever waiting, then it and two consumers drain it, and
 * join waits for the last task_done as with a bounded queue. */
#include <async.h>
#include <stdint.h>
#include <stdio.h>

async void consumer(int id, async_queue *q) {
    for (;;) {
        int err;
        intptr_t job = (intptr_t)async_try(await(async_queue_get(q)), &err);
        if (err) {
            printf("c%d cancelled\n", id);
            async_raise(err);
        }
        await(async_sleep(0.001 * (double)job));
        printf("c%d got job %d\n", id, (int)job);
        async_queue_task_done(q);
    }
}

static int ticks;

async void ticker(void) {
    for (;;) {
        ticks++;
        await(async_sleep(0));
    }
}

async int amain(void) {
    async_queue q;
    async_task *consumers[2];

    async_queue_init_unbounded(&q);
    async_task *t = async_spawn(ticker());
    await(async_sleep(0));
    int before = ticks;
    for (intptr_t job = 1; job <= 100; job++)
        await(async_queue_put(&q, (void *)job));
    printf("put 100 jobs, size %d, suspended: %s\n", (int)async_queue_size(&q),
           ticks != before ? "True" : "False");
    async_cancel(t);
    async_task_release(t);
    for (int i = 0; i < 2; i++)
        consumers[i] = async_spawn(consumer(i, &q));
    for (int i = 0; i < 95; i++) {
        await(async_queue_get(&q));
        async_queue_task_done(&q);
    }
    printf("left: %d\n", (int)async_queue_size(&q));
    await(async_queue_join(&q));
    printf("joined\n");
    for (int i = 0; i < 2; i++)
        async_cancel(consumers[i]);
    for (int i = 0; i < 2; i++) {
        int err;
        async_try(await(consumers[i]), &err);
        async_task_release(consumers[i]);
    }
    async_queue_free(&q);
    return 0;
}

int main(void) { return async_run(amain()); }
