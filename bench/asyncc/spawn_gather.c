/*
 * spawn_gather (asyncc) -- N tasks that each yield once and return
 * i % 7, then waited for and summed.
 *
 *     spawn_gather [N=1000000]
 *
 *     ops   = N (tasks)
 *     check = sum over i = 0 .. N-1 of (i % 7)      (N < 2^31)
 *
 * Every task is an async_spawn, whose handle goes into an array; the
 * main task then awaits the handles in spawn order and releases each.
 * That is the fastest of the idiomatic ways, and the smallest:
 * - the tasks run while main waits for the first handle (each yields in
 *   one pass of the loop and returns in the next), so by the time main
 *   is woken every task has finished and every later await completes
 *   without suspending: an array read, a flag test, a field read;
 * - a task group (async_group) would wake main only once too, but each
 *   member needs a 48-byte slot where a handle is 8 bytes, results
 *   would have to come back through arguments, and its bookkeeping runs
 *   as every task finishes;
 * - async_gather takes a fixed list of calls, not N.
 * rss_before is read just before the handle array and the tasks are
 * allocated; the time covers spawning, running, awaiting and releasing.
 *
 * Built by bench/run.py (from the repository's root):
 *     build/transpiler/asyncc bench/asyncc/spawn_gather.c -o out.c \
 *         -- -I runtime/include
 *     cc -std=c11 -O2 -DNDEBUG -I runtime/include -I bench/common out.c \
 *         build/runtime/libasyncrt.a -lpthread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#include <async.h>
#include <stdlib.h>

async int task(int i) {
    await(async_sleep(0)); /* asyncio.sleep(0): yield once */
    return i % 7;
}

async int spawn_gather(long n) {
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();
    async_task **tasks = malloc((size_t)n * sizeof *tasks);
    long total = 0;

    if (tasks == NULL)
        return 1;
    for (long i = 0; i < n; i++)
        if ((tasks[i] = async_spawn(task((int)i))) == NULL)
            return 1; /* out of memory: async_run frees what was spawned */
    for (long i = 0; i < n; i++) {
        total += await(tasks[i]);
        async_task_release(tasks[i]);
    }
    double seconds = bench_now() - t0;
    free(tasks);
    bench_report("spawn_gather", "asyncc", n, seconds, (double)n, rss_before,
                 (double)total);
    return 0;
}

int main(int argc, char **argv) {
    long n = bench_arg_n(argc, argv, 1000000);

    return async_run(spawn_gather(n)) == 0 ? 0 : 1;
}
