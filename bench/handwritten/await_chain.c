/*
 * await_chain (hand-written C) -- one task awaits add_one(i) for
 * i = 0 .. N-1 and sums the results; the state machines are written the
 * way asyncc lays them out, by hand.
 *
 *     await_chain [N=10000000]
 *
 *     ops   = N (awaits)
 *     check = sum over i = 0 .. N-1 of (i + 1) = N (N + 1) / 2
 *
 * The callee's frame is embedded in the caller's and the caller calls
 * its resume function directly; only a callee that had to wait would
 * make the caller return to the loop (add_one never does, but the
 * caller is written for it, as a transpiler must be).
 *
 * Built by bench/run.py:
 *     cc -std=c11 -O2 -DNDEBUG -I bench/common \
 *         bench/handwritten/await_chain.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#define HW_NO_IO
#include "hw_rt.h"

enum { READY, PENDING };

/* add_one(x): return x + 1, without ever waiting. */
struct add_one {
    int state;
    long x;
    long result;
};

static int add_one_resume(struct add_one *f) {
    f->result = f->x + 1;
    f->state = -1;
    return READY;
}

/* chain(n): the task; state 1 is the await of add_one. */
struct chain {
    hw_task task;
    int state;
    long n;
    long rss_before;
    double t0;
    long total, i;
    struct add_one call;
};

static void chain_resume(hw_task *me) {
    struct chain *f = (struct chain *)me;

    switch (f->state) {
    case 0:
        break;
    case 1:
        goto resume_1;
    default:
        return;
    }
    f->rss_before = bench_status_kb("VmRSS");
    f->t0 = bench_now();
    f->total = 0;
    for (f->i = 0; f->i < f->n; f->i++) {
        f->call.state = 0;
        f->call.x = f->i;
        f->state = 1;
    resume_1:
        if (add_one_resume(&f->call) != READY)
            return; /* woken later, it continues at resume_1 */
        f->total += f->call.result;
    }
    bench_report("await_chain", "handwritten", f->n, bench_now() - f->t0,
                 (double)f->n, f->rss_before, (double)f->total);
    f->state = -1;
}

int main(int argc, char **argv) {
    static struct chain root = {.task.resume = chain_resume};

    root.n = bench_arg_n(argc, argv, 10000000);
    hw_wake(&root.task);
    hw_run();
    return 0;
}
