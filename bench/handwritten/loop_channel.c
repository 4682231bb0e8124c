/*
 * loop_channel (hand-written C) -- one thread sends N pointers through a
 * bounded ring (thread_chan.h, a mutex and two condition variables),
 * another thread receives them.
 *
 *     loop_channel [N=10000000]
 *
 *     ops   = N (items received)
 *     check = the sum of the items, 1 + 2 + ... + N
 *
 * The same capacity as bench/asyncc/loop_channel.c (1024), and the same
 * shape: the main thread receives, a thread started for the run sends;
 * the time includes starting and joining it.
 *
 * Built by bench/run.py:
 *     cc -std=c11 -O2 -DNDEBUG -I bench/common \
 *         bench/handwritten/loop_channel.c -lpthread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"
#include "thread_chan.h"

#include <stdint.h>

enum { CAPACITY = 1024 };

static struct thread_chan ch;
static long n;

static void *sender(void *arg) {
    (void)arg;
    for (long i = 1; i <= n; i++)
        thread_chan_send(&ch, (void *)(intptr_t)i);
    return NULL;
}

int main(int argc, char **argv) {
    unsigned long long sum = 0;
    pthread_t t;

    n = bench_arg_n(argc, argv, 10000000);
    if (thread_chan_init(&ch, CAPACITY) != 0)
        return 1;
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();
    if (pthread_create(&t, NULL, sender, NULL) != 0)
        return 1;
    for (long i = 0; i < n; i++)
        sum += (uintptr_t)thread_chan_recv(&ch);
    pthread_join(t, NULL);
    double seconds = bench_now() - t0;
    thread_chan_destroy(&ch);
    bench_report("loop_channel", "handwritten", n, seconds, (double)n,
                 rss_before, (double)sum);
    return 0;
}
