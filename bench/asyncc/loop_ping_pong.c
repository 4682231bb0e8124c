/*
 * loop_ping_pong (asyncc) -- two loops pass a counter back and forth
 * through two channels of capacity 1, one each way, adding one on every
 * hop: the latency of a round trip between two threads.
 *
 *     loop_ping_pong [N=200000]
 *
 *     ops   = N (round trips)
 *     check = the final counter value, 2N
 *
 * Loop 0 sends 2k+1 and waits for 2k+2; loop 1 receives each value and
 * sends it on plus one.  Each hop finds the other loop waiting, so it
 * wakes that loop's thread through its eventfd, and the thread wakes
 * from its poller: a round trip is two cross-thread wake-ups.
 *
 * Built by bench/run.py, as bench/asyncc/ping_pong.c is.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#include <async.h>
#include <stdint.h>

struct run {
    async_channel *to[2]; /* to[i]: the channel loop i receives from */
    long n;
    long last; /* the final value, as loop 0 received it */
};

async int player(int loop, void *arg) {
    struct run *r = arg;
    async_channel *in = r->to[loop], *out = r->to[1 - loop];
    long v = 0;

    for (long i = 0; i < r->n; i++) {
        if (loop == 0) {
            await(async_channel_send(out, (void *)(intptr_t)(v + 1)));
            v = (long)(intptr_t)await(async_channel_recv(in));
        } else {
            v = (long)(intptr_t)await(async_channel_recv(in));
            await(async_channel_send(out, (void *)(intptr_t)(v + 1)));
        }
    }
    if (loop == 0)
        r->last = v;
    return 0;
}

int main(int argc, char **argv) {
    struct run r = {{async_channel_create(1), async_channel_create(1)},
                    bench_arg_n(argc, argv, 200000),
                    0};
    int results[2] = {-1, -1};
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();

    if (r.to[0] == NULL || r.to[1] == NULL ||
        async_run_loops(2, player, &r, results) != 0 || results[0] != 0 ||
        results[1] != 0 || r.last != 2 * r.n)
        return 1;
    double seconds = bench_now() - t0;
    async_channel_destroy(r.to[0]);
    async_channel_destroy(r.to[1]);
    bench_report("loop_ping_pong", "asyncc", r.n, seconds, (double)r.n,
                 rss_before, (double)r.last);
    return 0;
}
