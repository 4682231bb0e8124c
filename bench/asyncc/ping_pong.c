/*
 * ping_pong (asyncc) -- two tasks pass a counter back and forth through
 * two queues of capacity 1, one each way, adding one on every hop, N hops
 * in all.
 *
 *     ping_pong [N=1000000]
 *
 *     ops   = N (hops: puts of the counter)
 *     check = the final counter value, N
 *
 * The first player starts with 0 and puts 1; each player then gets a
 * value v from its inbox and puts v + 1 into its outbox, until the value
 * N has been put (by one player) and got (by the other).  Every hop
 * hands the item to the waiting getter and wakes it through the loop's
 * ready queue, then the putter suspends in its own get: a task switch
 * plus the queue's bookkeeping.  The two players are the children of
 * one async_gather, embedded in the main task's frame.  Items are
 * `void *`; the counter travels as an integer cast to a pointer.
 *
 * Built by bench/run.py (from the repository's root):
 *     build/transpiler/asyncc bench/asyncc/ping_pong.c -o out.c \
 *         -- -I runtime/include
 *     cc -std=c11 -O2 -DNDEBUG -I runtime/include -I bench/common out.c \
 *         build/runtime/libasyncrt.a -lpthread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#include <async.h>
#include <stdint.h>

/* Receives the counter (unless it serves), sends it on plus one; stops
 * after sending or receiving the N-th hop.  Returns the last value. */
async long player(async_queue *inbox, async_queue *outbox, long n, int serves) {
    long v = serves ? 0 : (long)(intptr_t)await(async_queue_get(inbox));

    while (v < n) {
        await(async_queue_put(outbox, (void *)(intptr_t)(v + 1)));
        if (v + 1 == n)
            return n;
        v = (long)(intptr_t)await(async_queue_get(inbox));
    }
    return v;
}

async int ping_pong(long n) {
    void *slot_ab[1], *slot_ba[1];
    async_queue a_to_b, b_to_a;
    long final_a = 0, final_b = 0;
    long rss_before = bench_status_kb("VmRSS");
    double t0 = bench_now();

    async_queue_init(&a_to_b, slot_ab, 1);
    async_queue_init(&b_to_a, slot_ba, 1);
    await(async_gather(final_a = player(&b_to_a, &a_to_b, n, 1),
                       final_b = player(&a_to_b, &b_to_a, n, 0)));
    double seconds = bench_now() - t0;
    if (final_a != n || final_b != n)
        return 1; /* a lost hop */
    bench_report("ping_pong", "asyncc", n, seconds, (double)n, rss_before,
                 (double)final_a);
    return 0;
}

int main(int argc, char **argv) {
    long n = bench_arg_n(argc, argv, 1000000);

    return async_run(ping_pong(n)) == 0 ? 0 : 1;
}
