/*
 * await_chain (asyncc) -- the cost of awaiting an async function that
 * completes without suspending: one task awaits add_one(i) for
 * i = 0 .. N-1 and sums the results.
 *
 *     await_chain [N=10000000]
 *
 *     ops   = N (awaits)
 *     check = sum over i = 0 .. N-1 of (i + 1) = N (N + 1) / 2
 *
 * The callee's frame is embedded in the caller's and its resume function
 * is called straight from the caller's, so an await that does not
 * suspend never reaches the loop; the loop only starts and finishes the
 * one task.  The timing covers the loop of awaits alone.
 *
 * Built by bench/run.py (from the repository's root):
 *     build/transpiler/asyncc bench/asyncc/await_chain.c -o out.c \
 *         -- -I runtime/include
 *     cc -std=c11 -O2 -DNDEBUG -I runtime/include -I bench/common out.c \
 *         build/runtime/libasyncrt.a -lpthread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#include <async.h>

async long add_one(long x) { return x + 1; }

async void chain(long n) {
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();
    long total = 0;

    for (long i = 0; i < n; i++)
        total += await(add_one(i));
    bench_report("await_chain", "asyncc", n, bench_now() - t0, (double)n,
                 rss_before, (double)total);
}

int main(int argc, char **argv) {
    long n = bench_arg_n(argc, argv, 10000000);

    return async_run(chain(n)) == 0 ? 0 : 1;
}
