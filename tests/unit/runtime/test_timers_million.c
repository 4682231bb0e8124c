/*
 * test_timers_million.c -- timers stay correct and cheap with a million
 * pending.  First the timer heap alone: a million timers with random
 * deadlines (many equal) come out in (deadline, start) order, each once,
 * also when a random half is removed part way.  Then the loop: a million
 * tasks sleeping random times up to 200 ms, started in one pass, each
 * woken exactly once, never before its deadline by the loop's clock or
 * the real one, in deadline order with ties in start order; and the same
 * with the tasks started 10,000 a pass while earlier ones fire, and a
 * random half of them cancelled once all have started.
 *
 * Sizes: a million everywhere, except the loop tests under valgrind,
 * which run 200,000 tasks to keep the run short; TIMERS_MILLION_N in the
 * environment overrides every size.  Each test prints how long it took. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "timer_heap.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

enum { MILLION = 1000000, LOOP_UNDER_VALGRIND = 200000 };

/* A fixed-seed generator, so a failure reproduces. */
static uint64_t rng_state;

static uint32_t rng(void) {
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(rng_state >> 33);
}

static size_t test_size(size_t normal) {
    const char *env = getenv("TIMERS_MILLION_N");

    if (env != NULL && atol(env) > 0)
        return (size_t)atol(env);
    return normal;
}

static double seconds_since(uint64_t t0) {
    return (double)(async__clock_ns() - t0) / 1e9;
}

/* ------------------------------------------------------------------ */
/* The heap alone                                                      */
/* ------------------------------------------------------------------ */

/* The start order: push_all numbers the timers in their owner int,
 * which the heap leaves alone (a sleep keeps its state there). */
static int started;

static int timer_before(const async__timer *a, const async__timer *b) {
    return a->deadline_ns < b->deadline_ns ||
           (a->deadline_ns == b->deadline_ns && a->owner < b->owner);
}

/* Pushes every timer of t[0..n) with a random deadline in 0..200 ms (a
 * multiple of 1 us, so about five timers share each deadline). */
static void push_all(async__timer_heap *h, async__timer *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        t[i].deadline_ns = (uint64_t)(rng() % 200001) * 1000;
        t[i].owner = ++started;
        assert_int_equal(async__timer_heap_push(h, &t[i]), 0);
    }
}

/* Every armed timer's slot points back to it, its entry holds its key,
 * and no entry precedes its parent. */
static void check_heap(const async__timer_heap *h) {
    size_t armed = 0;

    for (size_t i = 0; i < h->n_items; i++) {
        const async__timer_entry *e = &h->items[i];
        const async__timer_entry *p =
            &h->items[i > 0 ? (i - 1) / ASYNC__TIMER_HEAP_ARITY : 0];
        const async__timer *t = h->slots[e->slot].timer;

        if (t != NULL) {
            armed++;
            if (t->index != e->slot || t->deadline_ns != e->deadline_ns)
                fail_msg("entry %zu does not match its timer", i);
        }
        if (e->deadline_ns < p->deadline_ns ||
            (e->deadline_ns == p->deadline_ns && e->seq < p->seq))
            fail_msg("entry %zu precedes its parent", i);
    }
    if (armed != h->len)
        fail_msg("%zu armed timers, len %zu", armed, h->len);
}

/* Pops up to `max` timers: each in order after `*last`, each once
 * (popped[] counts them), each detached.  Returns how many. */
static size_t pop_checked(async__timer_heap *h, const async__timer *base,
                          unsigned char *popped, size_t max,
                          const async__timer **last) {
    size_t k = 0;
    async__timer *t;

    while (k < max && (t = async__timer_heap_pop(h)) != NULL) {
        size_t i = (size_t)(t - base);

        if (*last != NULL && !timer_before(*last, t))
            fail_msg("timer %zu (%llu ns, started %d) out of order", i,
                     (unsigned long long)t->deadline_ns, t->owner);
        if (popped[i]++ != 0)
            fail_msg("timer %zu popped twice", i);
        if (t->index != ASYNC__TIMER_NONE)
            fail_msg("timer %zu still has slot %u", i, (unsigned)t->index);
        *last = t;
        k++;
    }
    return k;
}

/* A million timers in, a million out in order. */
static void test_heap_million_sorted(void **state) {
    size_t n = test_size(MILLION);
    async__timer *t = calloc(n, sizeof(*t));
    unsigned char *popped = calloc(n, 1);
    const async__timer *last = NULL;
    async__timer_heap h;
    uint64_t t0;

    (void)state;
    assert_non_null(t);
    assert_non_null(popped);
    rng_state = 1;
    async__timer_heap_init(&h);
    t0 = async__clock_ns();
    push_all(&h, t, n);
    assert_int_equal(h.len, n);
    check_heap(&h);
    assert_int_equal(pop_checked(&h, t, popped, n, &last), n);
    assert_null(async__timer_heap_pop(&h));
    print_message("%zu timers pushed and popped: %.3f s\n", n,
                  seconds_since(t0));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(popped[i], 1);
    async__timer_heap_free(&h);
    free(popped);
    free(t);
}

/* A million timers; a quarter expire, then a random half of the rest is
 * removed (stopped), then the others come out in order, and only they. */
static void test_heap_million_remove_half(void **state) {
    size_t n = test_size(MILLION);
    async__timer *t = calloc(n, sizeof(*t));
    unsigned char *popped = calloc(n, 1), *removed = calloc(n, 1);
    const async__timer *last = NULL;
    async__timer_heap h;
    uint64_t t0;
    size_t first, n_removed = 0, rest;

    (void)state;
    assert_non_null(t);
    assert_non_null(popped);
    assert_non_null(removed);
    rng_state = 2;
    async__timer_heap_init(&h);
    t0 = async__clock_ns();
    push_all(&h, t, n);
    first = pop_checked(&h, t, popped, n / 4, &last);
    assert_int_equal(first, n / 4);
    for (size_t i = 0; i < n; i++) {
        if (popped[i] || rng() % 2 != 0)
            continue;
        async__timer_heap_remove(&h, &t[i]);
        assert_int_equal(t[i].index, ASYNC__TIMER_NONE);
        removed[i] = 1;
        n_removed++;
    }
    assert_int_equal(h.len, n - first - n_removed);
    check_heap(&h);
    rest = pop_checked(&h, t, popped, n, &last);
    print_message("%zu timers, %zu removed: %.3f s\n", n, n_removed,
                  seconds_since(t0));
    assert_int_equal(first + n_removed + rest, n);
    assert_true(n_removed > n / 3);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(popped[i] + removed[i], 1);
    async__timer_heap_free(&h);
    free(removed);
    free(popped);
    free(t);
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

/*
 * A nap is one task sleeping, embedded in one big array with its task
 * (the way gather embeds its children), so a million of them cost one
 * allocation:
 *
 *     async void nap(double seconds) { await(async_sleep(seconds)); }
 *
 * plus the bookkeeping of the test: when it ends, it checks the clocks
 * against its deadline and appends itself to the order of wake-ups; the
 * last nap to end wakes the root.  nap stays hand-written: it reads its
 * sleep frame's timer (the deadline, whether it is still armed), and a
 * million of them are embedded in one array as children, not spawned.
 */
struct nap {
    async__child task;
    struct async_sleep__frame sleep;
    uint64_t started_ns; /* the loop's clock when the sleep began */
    uint16_t units;      /* the sleep, in NAP_UNIT_NS */
    uint8_t fired;       /* times the sleep ended */
    uint8_t cancelled;   /* times it failed with ASYNC_ECANCELED */
};

/* 0.1 ms: 2,000 distinct lengths up to 200 ms, so ties abound. */
#define NAP_UNIT_NS 100000u
enum { NAP_UNITS = 2000, BATCH = 10000 };

static struct nap *naps;
static size_t n_naps;
static size_t *order; /* indexes of the naps that fired, in firing order */
static size_t n_fired, n_ended;
static size_t early;          /* naps that ended before their deadline */
static size_t left_armed;     /* cancelled naps whose timer stayed armed */
static async_event all_ended; /* set by the last nap to end */

static int nap__resume(void *frame) {
    struct nap *p = frame;
    int r;

    if (p->sleep._state == 0)
        p->started_ns = async__loop_now();
    r = async_sleep__resume(&p->sleep);
    if (r == ASYNC__PENDING)
        return r;
    if (r == ASYNC__READY) {
        uint64_t asked = p->started_ns + (uint64_t)p->units * NAP_UNIT_NS;

        /* The deadline may be rounded up, never down; the wake-up comes
         * at it or later by the loop's clock and the real one. */
        if (p->sleep.timer.deadline_ns < asked ||
            async__loop_now() < p->sleep.timer.deadline_ns ||
            async__clock_ns() < p->sleep.timer.deadline_ns)
            early++;
        p->fired++;
        order[n_fired++] = (size_t)(p - naps);
    } else {
        p->cancelled++;
        if (p->sleep.timer.index != ASYNC__TIMER_NONE)
            left_armed++;
    }
    if (++n_ended == n_naps)
        assert_int_equal(async_event_set(&all_ended), 0);
    return r;
}

/*
 * The root starts the naps in batches of `batch`, one batch per pass of
 * the loop, so that with small batches early naps fire while later ones
 * start, as in a busy server; then it cancels a random half of them when
 * cancel_half, and waits for all (the last nap to end sets all_ended).
 * The naps of a batch are polled before the root in the next pass, so
 * when the root cancels, every nap has started its sleep.
 */
static signed char *cancel_rc; /* async_cancel's result, -1: not asked */
static size_t cancelled_armed; /* naps cancelled with their timer armed */

static async int naps_root(size_t batch, int cancel_half) {
    for (size_t next = 0; next < n_naps;) {
        size_t end = n_naps - next > batch ? next + batch : n_naps;

        for (size_t i = next; i < end; i++) {
            struct nap *p = &naps[i];

            async_sleep__init(&p->sleep, p->units * (NAP_UNIT_NS / 1e9));
            async__child_init(&p->task, nap__resume, p, "nap");
            async__wake(&p->task.task);
        }
        next = end;
        await(async_sleep(0)); /* after the batch */
    }
    if (cancel_half) {
        for (size_t i = 0; i < n_naps; i++) {
            if (rng() % 2 != 0)
                continue;
            cancelled_armed += naps[i].sleep.timer.index != ASYNC__TIMER_NONE;
            cancel_rc[i] = (signed char)async_cancel(&naps[i].task.task);
        }
    }
    if (n_ended < n_naps)
        await(async_event_wait(&all_ended));
    return 0;
}

/* Runs n naps of random lengths, started `batch` at a time; cancels a
 * random half once all have started when cancel_half.  Then checks
 * every nap and the order of the wake-ups. */
static void run_naps(size_t n, size_t batch, int cancel_half) {
    size_t n_cancelled = 0, n_kept = 0;
    uint64_t t0;

    naps = calloc(n, sizeof(*naps));
    order = calloc(n, sizeof(*order));
    cancel_rc = malloc(n);
    assert_non_null(naps);
    assert_non_null(order);
    assert_non_null(cancel_rc);
    memset(cancel_rc, -1, n);
    n_naps = n;
    n_fired = n_ended = early = left_armed = cancelled_armed = 0;
    rng_state = 3;
    for (size_t i = 0; i < n; i++)
        naps[i].units = (uint16_t)(1 + rng() % NAP_UNITS);

    t0 = async__clock_ns();
    assert_int_equal(async_event_init(&all_ended), 0);
    assert_int_equal(async_run(naps_root(batch, cancel_half)), 0);
    print_message("%zu sleeping tasks%s: %.3f s\n", n,
                  cancel_half ? ", half cancelled" : "", seconds_since(t0));

    assert_int_equal(n_ended, n);
    assert_int_equal(early, 0);
    assert_int_equal(left_armed, 0);
    for (size_t i = 0; i < n; i++) {
        const struct nap *p = &naps[i];

        assert_true(async_task_done(&p->task.task));
        assert_int_equal(p->fired + p->cancelled, 1);
        /* Cancelled exactly when asked before the nap had ended. */
        assert_int_equal(p->cancelled, cancel_rc[i] == 1);
        n_cancelled += p->cancelled;
        n_kept += cancel_rc[i] == -1;
    }
    assert_int_equal(n_fired + n_cancelled, n);
    /* Deadline order, ties in start order, which is index order. */
    for (size_t k = 1; k < n_fired; k++) {
        size_t a = order[k - 1], b = order[k];
        uint64_t da = naps[a].sleep.timer.deadline_ns;
        uint64_t db = naps[b].sleep.timer.deadline_ns;

        if (da > db || (da == db && a >= b))
            fail_msg("wake-up %zu: nap %zu (%llu ns) after nap %zu (%llu ns)",
                     k, b, (unsigned long long)db, a, (unsigned long long)da);
    }
    if (cancel_half) {
        /* The cancellations stopped armed timers, and spared the naps
         * that were not picked. */
        assert_true(cancelled_armed > 0);
        assert_true(n_kept > n / 3);
    }
    free(cancel_rc);
    free(order);
    free(naps);
    naps = NULL;
}

static size_t loop_size(void) {
    return test_size(RUNNING_ON_VALGRIND ? LOOP_UNDER_VALGRIND : MILLION);
}

/* All naps start in one pass: a million timers pending at once, with
 * about 500 naps sharing each deadline. */
static void test_loop_million_sleeps(void **state) {
    (void)state;
    run_naps(loop_size(), SIZE_MAX, 0);
}

/* Naps start 10,000 a pass while earlier ones fire; then a random half
 * of them is cancelled, some already fired, most still armed. */
static void test_loop_million_sleeps_half_cancelled(void **state) {
    (void)state;
    run_naps(loop_size(), BATCH, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_million_sorted),
        cmocka_unit_test(test_heap_million_remove_half),
        cmocka_unit_test(test_loop_million_sleeps),
        cmocka_unit_test(test_loop_million_sleeps_half_cancelled),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
