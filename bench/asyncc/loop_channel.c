/*
 * loop_channel (asyncc) -- one loop sends N pointers through an
 * async_channel, another loop receives them: the throughput of a channel
 * between two threads.
 *
 *     loop_channel [N=10000000]
 *
 *     ops   = N (items received)
 *     check = the sum of the items, 1 + 2 + ... + N
 *
 * async_run_loops runs two loops, each in a thread of its own (pinned to
 * a CPU each where there are two); the channel holds up to CAPACITY
 * items, so the sender runs ahead while there is room and waits when it
 * is full, and the receiver is woken through its loop's eventfd once for
 * a burst.  The time includes starting and joining loop 1's thread.
 *
 * Built by bench/run.py, as bench/asyncc/ping_pong.c is.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#include <async.h>
#include <stdint.h>

enum { CAPACITY = 1024 };

struct run {
    async_channel *ch;
    long n;
    unsigned long long sum; /* what loop 1 received */
};

async int player(int loop, void *arg) {
    struct run *r = arg;

    if (loop == 0) {
        for (long i = 1; i <= r->n; i++)
            await(async_channel_send(r->ch, (void *)(intptr_t)i));
    } else {
        for (long i = 0; i < r->n; i++)
            r->sum += (uintptr_t)await(async_channel_recv(r->ch));
    }
    return 0;
}

int main(int argc, char **argv) {
    struct run r = {async_channel_create(CAPACITY),
                    bench_arg_n(argc, argv, 10000000), 0};
    int results[2] = {-1, -1};
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();

    if (r.ch == NULL || async_run_loops(2, player, &r, results) != 0 ||
        results[0] != 0 || results[1] != 0)
        return 1;
    double seconds = bench_now() - t0;
    async_channel_destroy(r.ch);
    bench_report("loop_channel", "asyncc", r.n, seconds, (double)r.n,
                 rss_before, (double)r.sum);
    return 0;
}
