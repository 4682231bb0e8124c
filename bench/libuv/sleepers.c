/*
 * sleepers.c -- N tasks each sleep bench_rand() % 1001 milliseconds, one
 * uv_timer_t per task.
 *
 *     sleepers [N=1000000]
 *
 * The durations are drawn in spawn order from seed 12345, as in every
 * system's program.  `seconds` runs from before the first uv_timer_start
 * until the last callback.  libuv keeps its timers in one binary heap,
 * so starting and expiring a timer are O(log N).  Each struct is freed in
 * its close callback, once libuv is done with the handle.
 */
#define _POSIX_C_SOURCE 200809L
#include "../common/bench.h"
#include <uv.h>

struct sleeper {
    uv_timer_t timer; /* first, so that a handle pointer is a sleeper */
};

static long pending;  /* sleepers not yet woken */
static double t_last; /* when the last one woke */

static void on_close(uv_handle_t *h) { free(h); }

static void wake(uv_timer_t *t) {
    if (--pending == 0)
        t_last = bench_now();
    uv_close((uv_handle_t *)t, on_close);
}

int main(int argc, char **argv) {
    long n = bench_arg_n(argc, argv, 1000000);
    uv_loop_t *loop = uv_default_loop();
    unsigned seed = 12345;
    double check = 0;
    long rss_before = bench_status_kb("VmRSS");
    double t0;

    /* Timeouts count from the loop's cached "now"; refresh it so that it
     * is t0 (libuv does not refresh it between starts, nor does Node). */
    uv_update_time(loop);
    t0 = bench_now();
    for (long i = 0; i < n; i++) {
        struct sleeper *s = malloc(sizeof *s);
        unsigned ms = bench_rand(&seed) % 1001;

        if (s == NULL) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        check += ms;
        uv_timer_init(loop, &s->timer);
        uv_timer_start(&s->timer, wake, ms, 0);
    }
    pending = n;
    uv_run(loop, UV_RUN_DEFAULT);
    if (pending != 0) {
        fprintf(stderr, "%ld sleepers did not wake\n", pending);
        return 1;
    }
    bench_report("sleepers", "libuv", n, t_last - t0, (double)n, rss_before,
                 check);
    return uv_loop_close(loop) == 0 ? 0 : 1;
}
