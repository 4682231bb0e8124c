/*
 * scale (asyncc only) -- how many waiting tasks fit in memory: N tasks
 * that each wait for one event, set once all have been spawned.
 *
 *     scale [N=10000000]
 *
 *     ops   = N (tasks)
 *     check = N (tasks that woke and finished)
 *
 * bench/run.py runs it at the N that fits a memory budget and reports
 * (rss_peak_kb - rss_before_kb) * 1024 / N, the bytes each waiting task
 * costs.  So the program keeps nothing per task but the task itself:
 * handles are released as soon as the task is spawned (a released task
 * is freed when it finishes), and instead of joins a counter tells the
 * last task to finish to set a second event, for which the main task
 * waits.  Waiting on an event allocates nothing (the wait node lives in
 * the waiting frame), so what is measured is the task and its frame:
 * the same memory a task sleeping in async_sleep or blocked on a socket
 * holds.  rss_before is read just before the first spawn; `seconds`
 * covers spawning, waking and finishing all of them.
 *
 * Built by bench/run.py (from the repository's root):
 *     build/transpiler/asyncc bench/asyncc/scale.c -o out.c \
 *         -- -I runtime/include
 *     cc -std=c11 -O2 -DNDEBUG -I runtime/include -I bench/common out.c \
 *         build/runtime/libasyncrt.a -lpthread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#include <async.h>

static async_event go;   /* set once every task has been spawned */
static async_event done; /* set by the last task to finish */
static long running;     /* tasks not finished */
static long finished;

async void waiter(void) {
    await(async_event_wait(&go));
    finished++;
    if (--running == 0)
        async_event_set(&done);
}

async int scale(long n) {
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();

    async_event_init(&go);
    async_event_init(&done);
    for (long i = 0; i < n; i++) {
        async_task *t = async_spawn(waiter());

        if (t == NULL) {
            fprintf(stderr, "out of memory after %ld tasks\n", i);
            return 1;
        }
        async_task_release(t);
        running++;
    }
    async_event_set(&go);
    await(async_event_wait(&done));
    bench_report("scale", "asyncc", n, bench_now() - t0, (double)n, rss_before,
                 (double)finished);
    return 0;
}

int main(int argc, char **argv) {
    long n = bench_arg_n(argc, argv, 10000000);

    return async_run(scale(n)) == 0 ? 0 : 1;
}
