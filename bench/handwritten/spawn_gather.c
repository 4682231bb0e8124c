/*
 * spawn_gather (hand-written C) -- N tasks that each yield once and
 * return i % 7, then waited for and summed.
 *
 *     spawn_gather [N=1000000]
 *
 *     ops   = N (tasks)
 *     check = sum over i = 0 .. N-1 of (i % 7)      (N < 2^31)
 *
 * Each task is its own allocation (a spawn), as it would be in a
 * program where tasks come and go: a 24-byte struct.  Yielding is
 * going to the back of the run queue.  Instead of handles, a finishing
 * task adds its result to the gather's sum and frees itself; the last
 * one wakes the main task, which is what a C programmer writes for
 * "wait for all of them".  rss_before is read just before the tasks are
 * allocated; the time covers spawning, running and summing.
 *
 * Built by bench/run.py:
 *     cc -std=c11 -O2 -DNDEBUG -I bench/common \
 *         bench/handwritten/spawn_gather.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#define HW_NO_IO
#include "hw_rt.h"

/* The gather: what every task reports to, and the task waiting on it. */
static struct {
    hw_task task; /* main */
    int state;
    long n;
    long remaining; /* tasks not finished */
    long total;     /* sum of their results */
    long rss_before;
    double t0;
} g;

struct task {
    hw_task task;
    int state;
    int i; /* its index: the result is i % 7 */
};

static void task_resume(hw_task *me) {
    struct task *t = (struct task *)me;

    switch (t->state) {
    case 0:
        t->state = 1;
        hw_wake(me); /* sleep(0): to the back of the queue */
        return;
    case 1:
        g.total += t->i % 7;
        if (--g.remaining == 0)
            hw_wake(&g.task);
        free(t);
        return;
    }
}

static void main_resume(hw_task *me) {
    (void)me;
    switch (g.state) {
    case 0:
        g.rss_before = bench_status_kb("VmRSS");
        g.t0 = bench_now();
        g.remaining = g.n;
        for (long i = 0; i < g.n; i++) {
            struct task *t = malloc(sizeof *t);

            if (t == NULL)
                abort();
            t->task.resume = task_resume;
            t->state = 0;
            t->i = (int)i;
            hw_wake(&t->task);
        }
        g.state = 1;
        return; /* woken by the last task */
    case 1:
        bench_report("spawn_gather", "handwritten", g.n, bench_now() - g.t0,
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
