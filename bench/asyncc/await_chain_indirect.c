/*
 * await_chain_indirect (asyncc) -- await_chain through an async function
 * pointer: one task awaits step(i), step pointing to add_one, for
 * i = 0 .. N-1 and sums the results.
 *
 *     await_chain_indirect [N=10000000]
 *
 *     ops   = N (awaits)
 *     check = sum over i = 0 .. N-1 of (i + 1) = N (N + 1) / 2
 *
 * The callee is known only at run time, so its frame cannot be embedded:
 * each await calls the pointer's starter, which takes a frame from the
 * task allocator (the block the previous await freed) and initialises
 * it, then polls it through the runtime and frees it.  Compared with
 * await_chain, the cost of the indirection.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#include <async.h>

typedef async long step_fn(long x);

async long add_one(long x) { return x + 1; }

/* Not const: the compiler must not see through it. */
step_fn *step = add_one;

async void chain(long n) {
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();
    long total = 0;

    for (long i = 0; i < n; i++)
        total += await(step(i));
    bench_report("await_chain_indirect", "asyncc", n, bench_now() - t0,
                 (double)n, rss_before, (double)total);
}

int main(int argc, char **argv) {
    long n = bench_arg_n(argc, argv, 10000000);

    return async_run(chain(n)) == 0 ? 0 : 1;
}
