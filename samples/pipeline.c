/*
 * pipeline.c -- a producer and two consumers connected by a bounded queue
 * (asyncio.Queue's classic use).  The producer waits for a start signal
 * (an event), then puts ten items into a queue that holds three, so it
 * has to wait whenever the consumers fall behind; an item put while a
 * consumer waits goes straight to it ("0 queued").  Each consumer gets
 * items, "processes" each for a few turns of the loop (an item's weight),
 * and marks it done.  Once every item has been processed (the queue's
 * join) the producer closes the queue; the consumers' next get fails
 * with -EPIPE and they print their reports, a lock keeping each report's
 * lines together although writing it yields.  Processing yields instead
 * of sleeping on the clock, so the output is the same on every run.
 *
 *     async def consumer(name):
 *         while True:
 *             item = await queue.get()
 *             await work(item)
 *             queue.task_done()
 */
#include <async.h>
#include <errno.h>
#include <stdio.h>

enum { ITEMS = 10, CAPACITY = 3 };

static async_queue queue;
static void *slots[CAPACITY];
static int values[ITEMS];
static async_event start;
static async_lock report_lock;

/* Processing an item takes 2, 4 or 6 turns of the loop. */
async void work(int item) {
    for (int turn = 0; turn < 2 * (item % 3 + 1); turn++)
        await(async_sleep(0));
}

/* Puts `n` items, then waits until all are processed and closes the
 * queue.  Returns the sum of the items. */
async int producer(int n) {
    int sum = 0;

    await(async_event_wait(&start));
    printf("producer: started\n");
    for (int i = 0; i < n; i++) {
        values[i] = i + 1;
        if (async_queue_put_nowait(&queue, &values[i]) == -EAGAIN) {
            printf("producer: queue full, waiting to put %d\n", values[i]);
            await(async_queue_put(&queue, &values[i]));
        }
        sum += values[i];
        printf("producer: put %d (%d queued)\n", values[i],
               (int)async_queue_size(&queue));
        await(async_sleep(0));
    }
    await(async_queue_join(&queue));
    printf("producer: all %d items processed, closing the queue\n", n);
    async_queue_close(&queue);
    return sum;
}

/* Processes items until the queue is closed and empty; returns the sum
 * of the items it processed. */
async int consumer(const char *name) {
    int count = 0;
    int sum = 0;

    for (;;) {
        int err;
        int *item = async_try(await(async_queue_get(&queue)), &err);

        if (err == -EPIPE)
            break; /* closed, and nothing left */
        if (err != 0)
            async_raise(err);
        printf("%s: got %d\n", name, *item);
        await(work(*item));
        count++;
        sum += *item;
        async_queue_task_done(&queue);
    }
    /* The report goes out in two writes, yielding in between; the lock
     * keeps the other consumer's report from landing in the middle. */
    await(async_lock_acquire(&report_lock));
    printf("%s: queue closed after %d items\n", name, count);
    await(async_sleep(0));
    printf("%s: sum %d\n", name, sum);
    async_lock_release(&report_lock);
    return sum;
}

async int amain(void) {
    async_queue_init(&queue, slots, CAPACITY);
    async_event_init(&start);
    async_lock_init(&report_lock);

    async_task *a = async_spawn(consumer("consumer A"));
    async_task *b = async_spawn(consumer("consumer B"));
    async_task *p = async_spawn(producer(ITEMS));

    if (a == NULL || b == NULL || p == NULL) {
        printf("cannot spawn the tasks\n");
        return 1;
    }
    printf("main: tasks spawned, starting in 10 ms\n");
    await(async_sleep(0.01));
    async_event_set(&start);

    int produced = await(p);
    int consumed = await(a);
    consumed += await(b);
    printf("main: produced %d, consumed %d\n", produced, consumed);
    async_task_release(a);
    async_task_release(b);
    async_task_release(p);
    return produced == consumed ? 0 : 1;
}

int main(void) { return async_run(amain()); }
