/*
 * test_timer_heap.c -- the timer heap against a reference model: a plain
 * array searched linearly for the (deadline, start order) minimum; lazy
 * stops and the bound on stale entries; the arrays shrinking after a
 * burst, also while some timers stay armed; start numbers wrapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "timer_heap.h"

enum { POOL = 600 };

static async__timer pool[POOL];

/* A fixed-seed generator, so a failure reproduces. */
static uint32_t rng_state;

static uint32_t rng(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* The model's start order: push() numbers the timers in their owner
 * int, which the heap must never touch (a sleep keeps its state there),
 * so the order read back also checks that. */
static int started;

static int timer_before(const async__timer *a, const async__timer *b) {
    return a->deadline_ns < b->deadline_ns ||
           (a->deadline_ns == b->deadline_ns && a->owner < b->owner);
}

static int entry_before(const async__timer_entry *a,
                        const async__timer_entry *b) {
    return a->deadline_ns < b->deadline_ns ||
           (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

/* The invariants: every entry's slot either points back to an armed
 * timer whose key the entry copies, or is stale (NULL); len counts the
 * armed ones; no child precedes its parent; the free list holds slots
 * below n_slots that no entry uses, each once. */
static void check_heap(const async__timer_heap *h) {
    size_t armed = 0, n_free = 0;
    unsigned char *used = calloc(h->n_slots + 1, 1);

    assert_non_null(used);
    assert_true(h->n_items <= h->items_cap);
    assert_true(h->n_slots <= h->slots_cap);
    for (size_t i = 0; i < h->n_items; i++) {
        const async__timer_entry *e = &h->items[i];
        const async__timer *t;

        assert_true(e->slot < h->n_slots);
        assert_int_equal(used[e->slot]++, 0);
        t = h->slots[e->slot].timer;
        if (t != NULL) {
            armed++;
            assert_int_equal(t->index, e->slot);
            assert_int_equal(t->deadline_ns, e->deadline_ns);
        }
        if (i > 0)
            assert_false(
                entry_before(e, &h->items[(i - 1) / ASYNC__TIMER_HEAP_ARITY]));
    }
    assert_int_equal(armed, h->len);
    for (uint32_t f = h->free_head; f != 0; f = h->slots[f - 1].next_free) {
        assert_true(f - 1 < h->n_slots);
        assert_int_equal(used[f - 1]++, 0);
        n_free++;
    }
    /* Every slot handed out is used by an entry or free. */
    assert_int_equal(h->n_items + n_free, h->n_slots);
    free(used);
}

static void push(async__timer_heap *h, async__timer *t, uint64_t deadline) {
    t->deadline_ns = deadline;
    t->owner = ++started;
    assert_int_equal(async__timer_heap_push(h, t), 0);
    assert_true(t->index != ASYNC__TIMER_NONE);
}

static void test_empty(void **state) {
    async__timer_heap h;

    (void)state;
    async__timer_heap_init(&h);
    assert_null(async__timer_heap_top(&h));
    assert_null(async__timer_heap_pop(&h));
    assert_null(async__timer_heap_pop_due(&h, UINT64_MAX));
    assert_int_equal(async__timer_heap_next_deadline(&h), UINT64_MAX);
    async__timer_heap_free(&h);
}

/* Timers with one deadline come out in the order they were started, even
 * when later deadlines are pushed in between. */
static void test_equal_deadlines_in_start_order(void **state) {
    async__timer_heap h;

    (void)state;
    async__timer_heap_init(&h);
    for (int i = 0; i < 200; i++) {
        push(&h, &pool[i], (i % 3 == 0) ? 1000 + (uint64_t)i : 500);
        check_heap(&h);
    }
    {
        int popped = 0;
        async__timer *t, *prev = NULL;

        while ((t = async__timer_heap_top(&h)) != NULL &&
               t->deadline_ns == 500) {
            assert_ptr_equal(async__timer_heap_pop(&h), t);
            assert_int_equal(t->index, ASYNC__TIMER_NONE);
            if (prev != NULL)
                assert_true(t > prev); /* started in pool order */
            prev = t;
            popped++;
            check_heap(&h);
        }
        assert_int_equal(popped, 133);
    }
    /* What is left: the 67 later deadlines, i = 0, 3, ..., 198. */
    assert_int_equal(h.len, 67);
    assert_int_equal(async__timer_heap_top(&h)->deadline_ns, 1000);
    assert_int_equal(async__timer_heap_next_deadline(&h), 1000);
    async__timer_heap_free(&h);
}

/* pop_due takes only what is due, in order, and leaves the rest. */
static void test_pop_due(void **state) {
    async__timer_heap h;

    (void)state;
    async__timer_heap_init(&h);
    push(&h, &pool[0], 30);
    push(&h, &pool[1], 10);
    push(&h, &pool[2], 20);
    assert_null(async__timer_heap_pop_due(&h, 9));
    assert_ptr_equal(async__timer_heap_pop_due(&h, 20), &pool[1]);
    assert_ptr_equal(async__timer_heap_pop_due(&h, 20), &pool[2]);
    assert_null(async__timer_heap_pop_due(&h, 20));
    assert_int_equal(h.len, 1);
    assert_int_equal(async__timer_heap_next_deadline(&h), 30);
    assert_ptr_equal(async__timer_heap_pop_due(&h, 30), &pool[0]);
    assert_int_equal(h.len, 0);
    async__timer_heap_free(&h);
}

/* A stopped timer never comes out, even from the top, and what the heap
 * reports next skips it. */
static void test_stopped_timers_are_skipped(void **state) {
    async__timer_heap h;

    (void)state;
    async__timer_heap_init(&h);
    for (int i = 0; i < 5; i++)
        push(&h, &pool[i], 10 * (uint64_t)(i + 1));
    async__timer_heap_remove(&h, &pool[0]); /* the top */
    async__timer_heap_remove(&h, &pool[2]); /* inside */
    assert_int_equal(pool[0].index, ASYNC__TIMER_NONE);
    assert_int_equal(pool[2].index, ASYNC__TIMER_NONE);
    assert_int_equal(h.len, 3);
    check_heap(&h);
    assert_int_equal(async__timer_heap_next_deadline(&h), 20);
    assert_ptr_equal(async__timer_heap_top(&h), &pool[1]);
    assert_null(async__timer_heap_pop_due(&h, 15));
    assert_ptr_equal(async__timer_heap_pop_due(&h, 100), &pool[1]);
    assert_ptr_equal(async__timer_heap_pop_due(&h, 100), &pool[3]);
    /* Stopping the last armed timer drops every stale entry at once. */
    async__timer_heap_remove(&h, &pool[4]);
    assert_int_equal(h.len, 0);
    assert_int_equal(h.n_items, 0);
    assert_null(async__timer_heap_pop(&h));
    check_heap(&h);
    /* A stopped timer can be started again. */
    push(&h, &pool[0], 5);
    assert_ptr_equal(async__timer_heap_pop(&h), &pool[0]);
    async__timer_heap_free(&h);
}

/* Random pushes, pops and stops of arbitrary timers, checked after every
 * step against the model. */
static void test_random_against_model(void **state) {
    async__timer_heap h;
    async__timer *model[POOL];
    size_t n_model = 0;

    (void)state;
    rng_state = 12345;
    async__timer_heap_init(&h);
    for (int i = 0; i < POOL; i++)
        pool[i].index = ASYNC__TIMER_NONE;

    for (int step = 0; step < 20000; step++) {
        uint32_t op = rng() % 10;

        if (op < 5 && n_model < POOL) {
            async__timer *t;

            do
                t = &pool[rng() % POOL];
            while (t->index != ASYNC__TIMER_NONE);
            /* A narrow range makes equal deadlines common. */
            push(&h, t, rng() % 50);
            model[n_model++] = t;
        } else if (op < 8 && n_model > 0) {
            size_t min = 0;

            for (size_t i = 1; i < n_model; i++)
                if (timer_before(model[i], model[min]))
                    min = i;
            assert_ptr_equal(async__timer_heap_top(&h), model[min]);
            assert_ptr_equal(async__timer_heap_pop(&h), model[min]);
            assert_int_equal(model[min]->index, ASYNC__TIMER_NONE);
            model[min] = model[--n_model];
        } else if (n_model > 0) {
            size_t k = rng() % n_model;

            async__timer_heap_remove(&h, model[k]);
            assert_int_equal(model[k]->index, ASYNC__TIMER_NONE);
            model[k] = model[--n_model];
        }
        assert_int_equal(h.len, n_model);
        check_heap(&h);
    }
    async__timer_heap_free(&h);
}

/* Many timers: the arrays grow several times and pops come out sorted. */
static void test_growth_and_sorted_drain(void **state) {
    enum { N = 5000 };
    static async__timer many[N];
    async__timer_heap h;
    async__timer *prev = NULL;

    (void)state;
    rng_state = 777;
    async__timer_heap_init(&h);
    for (uint64_t i = 0; i < N; i++)
        push(&h, &many[i], rng() % 1000);
    assert_true(h.items_cap >= N);
    assert_true(h.slots_cap >= N);
    check_heap(&h);
    for (int i = 0; i < N; i++) {
        async__timer *t = async__timer_heap_pop(&h);

        assert_non_null(t);
        if (prev != NULL)
            assert_true(timer_before(prev, t));
        prev = t;
    }
    assert_null(async__timer_heap_pop(&h));
    async__timer_heap_free(&h);
}

/* After a burst, the arrays shrink as the timers go, and keep working: a
 * mostly empty heap does not hold the burst's memory. */
static void test_shrinks_after_burst(void **state) {
    enum { N = 100000 };
    static async__timer many[N];
    async__timer_heap h;
    async__timer *prev = NULL;
    size_t peak;

    (void)state;
    rng_state = 4242;
    async__timer_heap_init(&h);
    for (uint64_t i = 0; i < N; i++)
        push(&h, &many[i], rng() % 5000);
    peak = h.items_cap;
    assert_true(peak >= N);
    /* Half stopped, anywhere, then the rest popped in order. */
    for (uint64_t i = 0; i < N; i += 2)
        async__timer_heap_remove(&h, &many[i]);
    check_heap(&h);
    assert_int_equal(h.len, N / 2);
    for (int i = 0; i < N / 2; i++) {
        async__timer *t = async__timer_heap_pop(&h);

        assert_non_null(t);
        assert_int_equal((t - many) % 2, 1);
        if (prev != NULL)
            assert_true(timer_before(prev, t));
        prev = t;
        if (i % 1000 == 0) {
            check_heap(&h);
            assert_true(h.items_cap <= 4096 || h.n_items > h.items_cap / 8);
            assert_true(h.n_items - h.len <= h.len + 1024);
        }
    }
    assert_null(async__timer_heap_pop(&h));
    assert_true(h.items_cap <= 4096);
    assert_true(h.slots_cap <= 4096);
    push(&h, &many[0], 1);
    assert_ptr_equal(async__timer_heap_pop(&h), &many[0]);
    async__timer_heap_free(&h);
}

/* A few long timers stay armed through a burst of short ones: the slot
 * table, whose free slots are scattered, is renumbered to shrink, and
 * the long timers still fire, in order. */
static void test_slots_shrink_under_long_timers(void **state) {
    enum { N = 100000, LONG = 10 };
    static async__timer many[N];
    async__timer_heap h;

    (void)state;
    rng_state = 99;
    async__timer_heap_init(&h);
    for (size_t i = 0; i < N; i++)
        push(&h, &many[i], i % (N / LONG) == 0 ? 1000000 + i : rng() % 5000);
    assert_true(h.slots_cap >= N);
    for (size_t i = 0; i < N - LONG; i++) {
        async__timer *t = async__timer_heap_pop(&h);

        assert_non_null(t);
        assert_true(t->deadline_ns < 5000);
    }
    check_heap(&h);
    assert_int_equal(h.len, LONG);
    assert_true(h.slots_cap <= 4096);
    assert_true(h.items_cap <= 4096);
    for (size_t k = 0; k < LONG; k++) {
        async__timer *t = async__timer_heap_pop(&h);

        assert_ptr_equal(t, &many[k * (N / LONG)]);
    }
    assert_null(async__timer_heap_pop(&h));
    async__timer_heap_free(&h);
}

/* Timers started and stopped over and over, a few always armed: stale
 * entries never outnumber the armed timers by more than a constant. */
static void test_stale_entries_bounded(void **state) {
    enum { ARMED = 100, ROUNDS = 200000 };
    async__timer_heap h;
    size_t worst = 0;

    (void)state;
    rng_state = 5;
    async__timer_heap_init(&h);
    for (int i = 0; i < ARMED; i++)
        push(&h, &pool[i], 1000000 + rng() % 1000);
    for (int r = 0; r < ROUNDS; r++) {
        async__timer *t = &pool[rng() % ARMED];

        /* A timeout re-armed on every request, never reached. */
        async__timer_heap_remove(&h, t);
        push(&h, t, 1000000 + (uint64_t)r + rng() % 1000);
        if (h.n_items - h.len > worst)
            worst = h.n_items - h.len;
    }
    check_heap(&h);
    assert_int_equal(h.len, ARMED);
    assert_true(worst <= 1024 + ARMED);
    for (int i = 0; i < ARMED; i++)
        assert_non_null(async__timer_heap_pop(&h));
    assert_null(async__timer_heap_pop(&h));
    async__timer_heap_free(&h);
}

/* Start numbers are 32 bits: when they run out they are renumbered in
 * the order they have, so equal deadlines still fire in start order
 * across the wrap, stale entries included. */
static void test_seq_wraps(void **state) {
    async__timer_heap h;
    int order[40];

    (void)state;
    async__timer_heap_init(&h);
    h.next_seq = UINT32_MAX - 20;
    for (int i = 0; i < 40; i++) {
        /* Two deadlines, interleaved; every fifth timer stopped. */
        push(&h, &pool[i], i % 2 ? 7 : 3);
        if (i % 5 == 4)
            async__timer_heap_remove(&h, &pool[i]);
        check_heap(&h);
    }
    assert_true(h.next_seq < 100);
    for (int i = 0; i < 32; i++) {
        async__timer *t = async__timer_heap_pop(&h);

        assert_non_null(t);
        order[i] = (int)(t - pool);
    }
    assert_null(async__timer_heap_pop(&h));
    /* First the 3s (even i) in start order, then the 7s (odd i). */
    for (int i = 0, k = 0; k < 2; k++)
        for (int j = k; j < 40; j += 2)
            if (j % 5 != 4)
                assert_int_equal(order[i++], j);
    async__timer_heap_free(&h);
}

/* Freeing the heap detaches the timers still in it. */
static void test_free_detaches_timers(void **state) {
    async__timer_heap h;

    (void)state;
    async__timer_heap_init(&h);
    for (int i = 0; i < 3; i++)
        push(&h, &pool[i], 10);
    async__timer_heap_remove(&h, &pool[1]);
    async__timer_heap_free(&h);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pool[i].index, ASYNC__TIMER_NONE);
    assert_int_equal(h.len, 0);
    assert_int_equal(h.n_items, 0);
    assert_null(h.items);
    assert_null(h.slots);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_equal_deadlines_in_start_order),
        cmocka_unit_test(test_pop_due),
        cmocka_unit_test(test_stopped_timers_are_skipped),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_growth_and_sorted_drain),
        cmocka_unit_test(test_shrinks_after_burst),
        cmocka_unit_test(test_slots_shrink_under_long_timers),
        cmocka_unit_test(test_stale_entries_bounded),
        cmocka_unit_test(test_seq_wraps),
        cmocka_unit_test(test_free_detaches_timers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
