/*
 * ping_pong (hand-written C) -- two tasks pass a counter back and forth
 * through two one-slot channels, one each way, adding one on every hop,
 * N hops in all.
 *
 *     ping_pong [N=1000000]
 *
 *     ops   = N (hops: puts of the counter)
 *     check = the final counter value, N
 *
 * The first player starts with 0 and puts 1; each player then gets a
 * value v from its inbox and puts v + 1 into its outbox, until the value
 * N has been put (by one player) and got (by the other).  A channel is
 * a bounded queue of capacity 1 with at most one waiting getter and one
 * waiting putter (two tasks cannot need more): a put hands the value to
 * a waiting getter and wakes it through the run queue, else stores it,
 * else waits for room; a get mirrors that.  So every hop is, as with
 * asyncio.Queue(1), a wake-up through the run queue and a suspension.
 * The main task waits for both players (the gather).
 *
 * Built by bench/run.py:
 *     cc -std=c11 -O2 -DNDEBUG -I bench/common bench/handwritten/ping_pong.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clock_gettime under -std=c11 */
#endif
#include "../common/bench.h"

#define HW_NO_IO
#include "hw_rt.h"

struct player;

struct chan {
    int full;
    long value;
    struct player *getter; /* waiting for a value: it lands in its `v` */
    struct player *putter; /* waiting for room: its value is in `out` */
};

struct player {
    hw_task task;
    int state;
    int serves; /* starts with 0 instead of getting */
    long v;     /* the value got */
    long out;   /* the value being put */
    long n;
    struct chan *inbox, *outbox;
};

static struct {
    hw_task task; /* main */
    int state;
    int running; /* players not finished */
    long rss_before;
    double t0;
    long n;
    struct chan a_to_b, b_to_a;
    struct player a, b;
} g;

/* Puts p->out into c: returns 1 when done, 0 when p must wait (a getter
 * takes it from p->out later and wakes p). */
static int chan_put(struct chan *c, struct player *p) {
    struct player *getter = c->getter;

    if (getter != NULL) {
        c->getter = NULL;
        getter->v = p->out;
        hw_wake(&getter->task);
        return 1;
    }
    if (!c->full) {
        c->full = 1;
        c->value = p->out;
        return 1;
    }
    c->putter = p;
    return 0;
}

/* Gets from c into p->v: returns 1 when done, 0 when p must wait (a
 * putter stores into p->v later and wakes p). */
static int chan_get(struct chan *c, struct player *p) {
    if (c->full) {
        struct player *putter = c->putter;

        p->v = c->value;
        if (putter != NULL) {
            /* The waiting putter's value takes the freed slot. */
            c->putter = NULL;
            c->value = putter->out;
            hw_wake(&putter->task);
        } else {
            c->full = 0;
        }
        return 1;
    }
    c->getter = p;
    return 0;
}

static void player_done(void) {
    if (--g.running == 0)
        hw_wake(&g.task);
}

/* States: 1 = waiting in the first get, 2 = waiting in a put, 3 =
 * waiting in a get. */
static void player_resume(hw_task *me) {
    struct player *p = (struct player *)me;

    switch (p->state) {
    case 0:
        break;
    case 1:
        goto got_first;
    case 2:
        goto put_done;
    case 3:
        goto got;
    default:
        return;
    }
    if (p->serves) {
        p->v = 0;
    } else {
        p->state = 1;
        if (!chan_get(p->inbox, p))
            return;
    got_first:;
    }
    while (p->v < p->n) {
        p->out = p->v + 1;
        p->state = 2;
        if (!chan_put(p->outbox, p))
            return;
    put_done:
        if (p->out == p->n) {
            p->v = p->n;
            break;
        }
        p->state = 3;
        if (!chan_get(p->inbox, p))
            return;
    got:;
    }
    p->state = -1;
    player_done();
}

static void main_resume(hw_task *me) {
    (void)me;
    switch (g.state) {
    case 0:
        g.rss_before = bench_status_kb("VmRSS");
        g.t0 = bench_now();
        g.a = (struct player){.task.resume = player_resume,
                              .serves = 1,
                              .n = g.n,
                              .inbox = &g.b_to_a,
                              .outbox = &g.a_to_b};
        g.b = (struct player){.task.resume = player_resume,
                              .n = g.n,
                              .inbox = &g.a_to_b,
                              .outbox = &g.b_to_a};
        g.running = 2;
        hw_wake(&g.a.task);
        hw_wake(&g.b.task);
        g.state = 1;
        return; /* woken when both players have finished */
    case 1:
        g.state = -1;
        if (g.a.v != g.n || g.b.v != g.n)
            abort(); /* a lost hop */
        bench_report("ping_pong", "handwritten", g.n, bench_now() - g.t0,
                     (double)g.n, g.rss_before, (double)g.a.v);
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
