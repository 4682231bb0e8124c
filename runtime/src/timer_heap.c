/*
 * timer_heap.c -- the 4-ary min-heap behind the loop's timers.
 *
 * Ordering by (deadline_ns, seq) rather than deadline alone makes timers
 * with equal deadlines fire in the order they were started, which a heap
 * does not otherwise guarantee.
 *
 * Four children per node rather than two: the tree is half as deep, and
 * the children of a node sit next to each other, so the extra
 * comparisons of a sift-down cost far less than the cache misses of the
 * levels they save.  With keys stored in the array, a million pending
 * timers are pushed and popped several times faster than with a binary
 * heap of pointers.
 */
#include "timer_heap.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

enum {
    ARITY = ASYNC__TIMER_HEAP_ARITY,
    FIRST_CAP = 16,
    /* Shrinking stops here: small heaps keep their array. */
    SHRINK_MIN = 4096
};

static int slot_less(const async__timer_slot *a, const async__timer_slot *b) {
    if (a->deadline_ns != b->deadline_ns)
        return a->deadline_ns < b->deadline_ns;
    return a->seq < b->seq;
}

static void heap_set(async__timer_heap *h, size_t i,
                     const async__timer_slot *s) {
    h->items[i] = *s;
    s->timer->index = i;
}

/* Puts `s` at hole i or above it. */
static void sift_up(async__timer_heap *h, size_t i, async__timer_slot s) {
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;

        if (!slot_less(&s, &h->items[parent]))
            break;
        heap_set(h, i, &h->items[parent]);
        i = parent;
    }
    heap_set(h, i, &s);
}

/* Puts `s` at hole i or below it. */
static void sift_down(async__timer_heap *h, size_t i, async__timer_slot s) {
    for (;;) {
        size_t first = ARITY * i + 1, end, best;

        if (first >= h->len)
            break;
        end = h->len - first > ARITY ? first + ARITY : h->len;
        best = first;
        for (size_t c = first + 1; c < end; c++)
            if (slot_less(&h->items[c], &h->items[best]))
                best = c;
        if (!slot_less(&h->items[best], &s))
            break;
        heap_set(h, i, &h->items[best]);
        i = best;
    }
    heap_set(h, i, &s);
}

void async__timer_heap_init(async__timer_heap *h) {
    h->items = NULL;
    h->len = 0;
    h->cap = 0;
}

void async__timer_heap_free(async__timer_heap *h) {
    for (size_t i = 0; i < h->len; i++)
        h->items[i].timer->index = ASYNC__TIMER_NONE;
    free(h->items);
    async__timer_heap_init(h);
}

int async__timer_heap_push(async__timer_heap *h, async__timer *t) {
    async__timer_slot s;

    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : FIRST_CAP;
        async__timer_slot *items;

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
    s.deadline_ns = t->deadline_ns;
    s.seq = t->seq;
    s.timer = t;
    sift_up(h, h->len++, s);
    return 0;
}

async__timer *async__timer_heap_top(const async__timer_heap *h) {
    return h->len > 0 ? h->items[0].timer : NULL;
}

async__timer *async__timer_heap_pop(async__timer_heap *h) {
    async__timer *top = async__timer_heap_top(h);

    if (top != NULL)
        async__timer_heap_remove(h, top);
    return top;
}

/* Halves the array once a quarter of it is in use, so that pushes and
 * removals around the boundary do not resize it each time.  A failed
 * realloc just keeps the larger array. */
static void maybe_shrink(async__timer_heap *h) {
    async__timer_slot *items;

    if (h->cap <= SHRINK_MIN || h->len > h->cap / 4)
        return;
    items = realloc(h->items, h->cap / 2 * sizeof(*items));
    if (items != NULL) {
        h->items = items;
        h->cap /= 2;
    }
}

void async__timer_heap_remove(async__timer_heap *h, async__timer *t) {
    size_t i = t->index;
    async__timer_slot last;

    assert(i < h->len && h->items[i].timer == t);
    last = h->items[--h->len];
    t->index = ASYNC__TIMER_NONE;
    if (i < h->len) {
        /* The last timer fills the hole; it may belong above or below. */
        if (i > 0 && slot_less(&last, &h->items[(i - 1) / ARITY]))
            sift_up(h, i, last);
        else
            sift_down(h, i, last);
    }
    maybe_shrink(h);
}
