/*
 * sleepers (hand-written C) -- N tasks that each sleep a pseudo-random
 * 0 .. 1000 milliseconds.
 *
 *     sleepers [N=1000000]
 *
 *     ms    = bench_rand(&s) % 1001 for each task in spawn order, with
 *             s = 12345 at the start (xorshift32, bench/common/bench.h)
 *     ops   = N (tasks)
 *     check = the sum of the N values of ms
 *
 * Each task is its own 24-byte allocation; its first resume arms a timer
 * in hw_rt.h's binary heap (deadline counted from the start of the
 * loop's pass, as in libuv and asyncrt), its second frees it and counts
 * it; the last wakes the main task.  `seconds` runs from before the
 * first spawn until the main task sees the last sleeper finish.
 * rss_before is read just before the tasks are allocated.
 *
 * Built by bench/run.py:
 *     cc -std=c11 -O2 -DNDEBUG -I bench/common bench/handwritten/sleepers.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#define HW_NO_IO
#include "hw_rt.h"

static struct {
    hw_task task; /* main */
    int state;
    long n;
    long remaining; /* sleepers not finished */
    long total;     /* sum of the durations */
    long rss_before;
    double t0;
} g;

struct sleeper {
    hw_task task;
    int state;
    unsigned ms;
};

static void sleeper_resume(hw_task *me) {
    struct sleeper *t = (struct sleeper *)me;

    switch (t->state) {
    case 0:
        t->state = 1;
        hw_sleep_until(me, hw_time() + (uint64_t)t->ms * 1000000u);
        return;
    case 1:
        if (--g.remaining == 0)
            hw_wake(&g.task);
        free(t);
        return;
    }
}

static void main_resume(hw_task *me) {
    (void)me;
    switch (g.state) {
    case 0: {
        unsigned s = 12345;

        g.rss_before = bench_status_kb("VmRSS");
        g.t0 = bench_now();
        g.remaining = g.n;
        for (long i = 0; i < g.n; i++) {
            struct sleeper *t = malloc(sizeof *t);

            if (t == NULL)
                abort();
            t->task.resume = sleeper_resume;
            t->state = 0;
            t->ms = bench_rand(&s) % 1001;
            g.total += t->ms;
            hw_wake(&t->task);
        }
        g.state = 1;
        return; /* woken by the last sleeper */
    }
    case 1:
        bench_report("sleepers", "handwritten", g.n, bench_now() - g.t0,
                     (double)g.n, g.rss_before, (double)g.total);
        g.state = -1;
        return;
    }
}

int main(int argc, char **argv) {
    g.n = bench_arg_n(argc, argv, 1000000);
    g.task.resume = main_resume;
    hw_wake(&g.task);
    hw_run();
    return 0;
}
