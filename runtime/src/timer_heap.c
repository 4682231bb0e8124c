/*
 * timer_heap.c -- the binary min-heap behind the loop's timers.
 *
 * Ordering by (deadline_ns, seq) rather than deadline alone makes timers
 * with equal deadlines fire in the order they were started, which a heap
 * does not otherwise guarantee.  Expected load: a handful to a few
 * thousand timers; the array doubles as needed and never shrinks while
 * the loop runs.
 */
#include "timer_heap.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

static int timer_less(const async__timer *a, const async__timer *b) {
    if (a->deadline_ns != b->deadline_ns)
        return a->deadline_ns < b->deadline_ns;
    return a->seq < b->seq;
}

static void heap_set(async__timer_heap *h, size_t i, async__timer *t) {
    h->items[i] = t;
    t->index = i;
}

static void sift_up(async__timer_heap *h, size_t i) {
    async__timer *t = h->items[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (!timer_less(t, h->items[parent]))
            break;
        heap_set(h, i, h->items[parent]);
        i = parent;
    }
    heap_set(h, i, t);
}

static void sift_down(async__timer_heap *h, size_t i) {
    async__timer *t = h->items[i];

    for (;;) {
        size_t child = 2 * i + 1;

        if (child >= h->len)
            break;
        if (child + 1 < h->len &&
            timer_less(h->items[child + 1], h->items[child]))
            child++;
        if (!timer_less(h->items[child], t))
            break;
        heap_set(h, i, h->items[child]);
        i = child;
    }
    heap_set(h, i, t);
}

void async__timer_heap_init(async__timer_heap *h) {
    h->items = NULL;
    h->len = 0;
    h->cap = 0;
}

void async__timer_heap_free(async__timer_heap *h) {
    for (size_t i = 0; i < h->len; i++)
        h->items[i]->index = ASYNC__TIMER_NONE;
    free(h->items);
    async__timer_heap_init(h);
}

int async__timer_heap_push(async__timer_heap *h, async__timer *t) {
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        async__timer **items;

        if (cap > SIZE_MAX / sizeof(*items)) {
            t->index = ASYNC__TIMER_NONE;
            return -ENOMEM;
        }
        items = realloc(h->items, cap * sizeof(*items));
        if (items == NULL) {
            t->index = ASYNC__TIMER_NONE;
            return -ENOMEM;
        }
        h->items = items;
        h->cap = cap;
    }
    h->items[h->len] = t;
    sift_up(h, h->len++);
    return 0;
}

async__timer *async__timer_heap_top(const async__timer_heap *h) {
    return h->len > 0 ? h->items[0] : NULL;
}

async__timer *async__timer_heap_pop(async__timer_heap *h) {
    async__timer *top = async__timer_heap_top(h);

    if (top != NULL)
        async__timer_heap_remove(h, top);
    return top;
}

void async__timer_heap_remove(async__timer_heap *h, async__timer *t) {
    size_t i = t->index;
    async__timer *last;

    assert(i < h->len && h->items[i] == t);
    last = h->items[--h->len];
    t->index = ASYNC__TIMER_NONE;
    if (last == t)
        return;
    /* The last timer fills the hole; it may belong above or below it. */
    h->items[i] = last;
    if (i > 0 && timer_less(last, h->items[(i - 1) / 2]))
        sift_up(h, i);
    else
        sift_down(h, i);
}
