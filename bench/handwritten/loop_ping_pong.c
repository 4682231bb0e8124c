/*
 * loop_ping_pong (hand-written C) -- two threads pass a counter back and
 * forth through two rings of capacity 1 (thread_chan.h: a mutex and two
 * condition variables each), adding one on every hop.
 *
 *     loop_ping_pong [N=200000]
 *
 *     ops   = N (round trips)
 *     check = the final counter value, 2N
 *
 * The main thread sends 2k+1 and waits for 2k+2; the other thread
 * receives each value and sends it on plus one.  Each hop finds the
 * other thread asleep on its condition variable, so a round trip is two
 * futex wake-ups, as bench/asyncc/loop_ping_pong.c's is two eventfd
 * wake-ups.
 *
 * Built by bench/run.py:
 *     cc -std=c11 -O2 -DNDEBUG -I bench/common \
 *         bench/handwritten/loop_ping_pong.c -lpthread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"
#include "thread_chan.h"

#include <stdint.h>

static struct thread_chan to_main, to_peer;
static long n;

static void *peer(void *arg) {
    (void)arg;
    for (long i = 0; i < n; i++) {
        long v = (long)(intptr_t)thread_chan_recv(&to_peer);

        thread_chan_send(&to_main, (void *)(intptr_t)(v + 1));
    }
    return NULL;
}

int main(int argc, char **argv) {
    long v = 0;
    pthread_t t;

    n = bench_arg_n(argc, argv, 200000);
    if (thread_chan_init(&to_main, 1) != 0 ||
        thread_chan_init(&to_peer, 1) != 0)
        return 1;
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();
    if (pthread_create(&t, NULL, peer, NULL) != 0)
        return 1;
    for (long i = 0; i < n; i++) {
        thread_chan_send(&to_peer, (void *)(intptr_t)(v + 1));
        v = (long)(intptr_t)thread_chan_recv(&to_main);
    }
    pthread_join(t, NULL);
    double seconds = bench_now() - t0;
    thread_chan_destroy(&to_main);
    thread_chan_destroy(&to_peer);
    if (v != 2 * n)
        return 1;
    bench_report("loop_ping_pong", "handwritten", n, seconds, (double)n,
                 rss_before, (double)v);
    return 0;
}
