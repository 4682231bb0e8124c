/*
 * spawn_gather.c -- N tasks that each yield once and store i % 7, then
 * a sum over the stored results, written the libuv way: a task is a
 * malloc'd struct around a handle, and its continuation is a callback.
 *
 *     spawn_gather [N=1000000]
 *
 * "Yield once" is a uv_idle_t: an active idle handle's callback runs
 * once per turn of the loop, and a handle started during a turn waits
 * for the next, so every task is started before any runs, as each
 * asyncio task runs again only after the others had their turn.  The
 * callback closes the handle, which stops it, and the close callback
 * frees the struct: the memory of a handle may only be released once
 * libuv is done with it.  Idle handles are libuv's way to run code on
 * the next turn; a uv_timer_t started at 0 ms does the same work at about
 * eight times the cost here, since libuv's timer heap is linked by
 * pointers and each insert and removal walks ~log2(N) scattered nodes.
 * The gather is a counter of unfinished tasks plus a results array, as
 * asyncio.gather collects results into a list.
 */
#define _POSIX_C_SOURCE 200809L
#include "../common/bench.h"
#include <uv.h>

struct task {
    uv_idle_t idle; /* first, so that a handle pointer is a task pointer */
    long i;
    long *result;
};

static long pending; /* tasks not yet finished */

static void on_close(uv_handle_t *h) { free(h); }

static void task_run(uv_idle_t *h) {
    struct task *task = (struct task *)h;

    *task->result = task->i % 7;
    pending--;
    uv_close((uv_handle_t *)h, on_close);
}

int main(int argc, char **argv) {
    long n = bench_arg_n(argc, argv, 1000000);
    uv_loop_t *loop = uv_default_loop();
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();
    long *results = malloc((size_t)n * sizeof *results);
    double check = 0;

    if (results == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        struct task *task = malloc(sizeof *task);

        if (task == NULL) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        task->i = i;
        task->result = &results[i];
        uv_idle_init(loop, &task->idle);
        uv_idle_start(&task->idle, task_run);
    }
    pending = n;
    uv_run(loop, UV_RUN_DEFAULT);
    if (pending != 0) {
        fprintf(stderr, "%ld tasks did not finish\n", pending);
        return 1;
    }
    for (long i = 0; i < n; i++)
        check += (double)results[i];
    double seconds = bench_now() - t0;

    bench_report("spawn_gather", "libuv", n, seconds, (double)n, rss_before,
                 check);
    free(results);
    return uv_loop_close(loop) == 0 ? 0 : 1;
}
