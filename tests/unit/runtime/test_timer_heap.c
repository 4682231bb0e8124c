/*
 * test_timer_heap.c -- the timer min-heap against a reference model: a
 * plain array searched linearly for the (deadline, seq) minimum; and
 * the array shrinking after a burst.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

static int timer_before(const async__timer *a, const async__timer *b) {
    return a->deadline_ns < b->deadline_ns ||
           (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

/* Every timer knows its slot, every slot holds its timer's key, and no
 * child precedes its parent. */
static void check_heap(const async__timer_heap *h) {
    for (size_t i = 0; i < h->len; i++) {
        const async__timer_slot *s = &h->items[i];

        assert_int_equal(s->timer->index, i);
        assert_int_equal(s->deadline_ns, s->timer->deadline_ns);
        assert_int_equal(s->seq, s->timer->seq);
        if (i > 0)
            assert_false(timer_before(
                s->timer, h->items[(i - 1) / ASYNC__TIMER_HEAP_ARITY].timer));
    }
}

static void test_empty(void **state) {
    async__timer_heap h;

    (void)state;
    async__timer_heap_init(&h);
    assert_null(async__timer_heap_top(&h));
    assert_null(async__timer_heap_pop(&h));
    async__timer_heap_free(&h);
}

/* Timers with one deadline come out in the order they were started, even
 * when later deadlines are pushed in between. */
static void test_equal_deadlines_in_start_order(void **state) {
    async__timer_heap h;
    uint64_t seq = 0;

    (void)state;
    async__timer_heap_init(&h);
    for (int i = 0; i < 200; i++) {
        pool[i].deadline_ns = (i % 3 == 0) ? 1000 + (uint64_t)i : 500;
        pool[i].seq = seq++;
        assert_int_equal(async__timer_heap_push(&h, &pool[i]), 0);
        check_heap(&h);
    }
    {
        int popped = 0;
        uint64_t last_seq = 0;
        async__timer *t;

        while ((t = async__timer_heap_top(&h)) != NULL &&
               t->deadline_ns == 500) {
            assert_ptr_equal(async__timer_heap_pop(&h), t);
            assert_int_equal(t->index, ASYNC__TIMER_NONE);
            if (popped++ > 0)
                assert_true(t->seq > last_seq);
            last_seq = t->seq;
            check_heap(&h);
        }
        assert_int_equal(popped, 133);
    }
    /* What is left: the 67 later deadlines, i = 0, 3, ..., 198. */
    assert_int_equal(h.len, 67);
    assert_int_equal(async__timer_heap_top(&h)->deadline_ns, 1000);
    async__timer_heap_free(&h);
}

/* Random pushes, pops and removals of arbitrary timers, checked after
 * every step against the model. */
static void test_random_against_model(void **state) {
    async__timer_heap h;
    async__timer *model[POOL];
    size_t n_model = 0;
    uint64_t seq = 0;

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
            t->deadline_ns = rng() % 50;
            t->seq = seq++;
            assert_int_equal(async__timer_heap_push(&h, t), 0);
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

/* Many timers: the array grows several times and pops come out sorted. */
static void test_growth_and_sorted_drain(void **state) {
    enum { N = 5000 };
    static async__timer many[N];
    async__timer_heap h;
    async__timer *prev = NULL;

    (void)state;
    rng_state = 777;
    async__timer_heap_init(&h);
    for (uint64_t i = 0; i < N; i++) {
        many[i].deadline_ns = rng() % 1000;
        many[i].seq = i;
        assert_int_equal(async__timer_heap_push(&h, &many[i]), 0);
    }
    assert_true(h.cap >= N);
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

/* After a burst, the array shrinks as the timers go, and keeps working:
 * a mostly empty heap does not hold the burst's memory. */
static void test_shrinks_after_burst(void **state) {
    enum { N = 100000 };
    static async__timer many[N];
    async__timer_heap h;
    async__timer *prev = NULL;
    size_t peak;

    (void)state;
    rng_state = 4242;
    async__timer_heap_init(&h);
    for (uint64_t i = 0; i < N; i++) {
        many[i].deadline_ns = rng() % 5000;
        many[i].seq = i;
        assert_int_equal(async__timer_heap_push(&h, &many[i]), 0);
    }
    peak = h.cap;
    assert_true(peak >= N);
    /* Half removed from anywhere, then the rest popped in order. */
    for (uint64_t i = 0; i < N; i += 2)
        async__timer_heap_remove(&h, &many[i]);
    check_heap(&h);
    assert_int_equal(h.cap, peak); /* half full: no shrinking yet */
    for (int i = 0; i < N / 2; i++) {
        async__timer *t = async__timer_heap_pop(&h);

        assert_non_null(t);
        assert_int_equal(t->seq % 2, 1);
        if (prev != NULL)
            assert_true(timer_before(prev, t));
        prev = t;
        if (i % 1000 == 0) {
            check_heap(&h);
            assert_true(h.cap <= 4096 || h.len > h.cap / 8);
        }
    }
    assert_null(async__timer_heap_pop(&h));
    assert_true(h.cap <= 4096);
    assert_int_equal(async__timer_heap_push(&h, &many[0]), 0);
    assert_ptr_equal(async__timer_heap_pop(&h), &many[0]);
    async__timer_heap_free(&h);
}

/* Freeing the heap detaches the timers still in it. */
static void test_free_detaches_timers(void **state) {
    async__timer_heap h;

    (void)state;
    async__timer_heap_init(&h);
    for (int i = 0; i < 3; i++) {
        pool[i].deadline_ns = 10;
        pool[i].seq = (uint64_t)i;
        assert_int_equal(async__timer_heap_push(&h, &pool[i]), 0);
    }
    async__timer_heap_free(&h);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pool[i].index, ASYNC__TIMER_NONE);
    assert_int_equal(h.len, 0);
    assert_null(h.items);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_equal_deadlines_in_start_order),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_growth_and_sorted_drain),
        cmocka_unit_test(test_shrinks_after_burst),
        cmocka_unit_test(test_free_detaches_timers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
