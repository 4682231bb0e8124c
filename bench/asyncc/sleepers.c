/*
 * sleepers (asyncc) -- N tasks that each sleep a pseudo-random 0 .. 1000
 * milliseconds.
 *
 *     sleepers [N=1000000]
 *
 *     ms    = bench_rand(&s) % 1001 for each task in spawn order, with
 *             s = 12345 at the start (xorshift32, bench/common/bench.h)
 *     ops   = N (tasks)
 *     check = the sum of the N values of ms
 *
 * `seconds` runs from before the first spawn until the main task sees
 * the last sleeper finish: ideally just over 1 s, the longest sleep;
 * what it takes beyond that is spawning, arming and firing N timers.
 * The handles are kept in an array and awaited in spawn order, as in
 * spawn_gather; a sleeper that finishes before main reaches its handle
 * just waits there to be released.  rss_before is read just before the
 * handle array and the tasks are allocated.
 *
 * Built by bench/run.py (from the repository's root):
 *     build/transpiler/asyncc bench/asyncc/sleepers.c -o out.c \
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

async void sleeper(unsigned ms) { await(async_sleep(ms / 1000.0)); }

async int sleepers(long n) {
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();
    async_task **tasks = malloc((size_t)n * sizeof *tasks);
    unsigned s = 12345;
    long total = 0;

    if (tasks == NULL)
        return 1;
    for (long i = 0; i < n; i++) {
        unsigned ms = bench_rand(&s) % 1001;

        total += ms;
        if ((tasks[i] = async_spawn(sleeper(ms))) == NULL)
            return 1; /* out of memory: async_run frees what was spawned */
    }
    for (long i = 0; i < n; i++) {
        await(tasks[i]);
        async_task_release(tasks[i]);
    }
    double seconds = bench_now() - t0;
    free(tasks);
    bench_report("sleepers", "asyncc", n, seconds, (double)n, rss_before,
                 (double)total);
    return 0;
}

int main(int argc, char **argv) {
    long n = bench_arg_n(argc, argv, 1000000);

    return async_run(sleepers(n)) == 0 ? 0 : 1;
}
