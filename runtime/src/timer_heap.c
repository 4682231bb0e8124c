/*
 * timer_heap.c -- the 4-ary min-heap and the slot table behind the
 * loop's timers.
 *
 * Ordering by (deadline_ns, seq) rather than deadline alone makes timers
 * with equal deadlines fire in the order they were started, which a heap
 * does not otherwise guarantee.  seq is 32 bits so that an entry fits
 * in 16 bytes; when it would wrap, the entries are renumbered in the
 * order they have (once per four billion starts).
 *
 * Four children per node rather than two: the tree is half as deep, and
 * the four children of a node, 64 bytes, sit next to each other (in one
 * or two cache lines), so the extra comparisons of a sift-down cost far
 * less than the cache misses of the levels they save.  With a million
 * timers, taking the first out is mostly waiting for memory: the heap's
 * bottom levels, the slot, then the timer itself (in the loop, to wake
 * its task); prefetches start the first two early.
 *
 * Slots are reused last-freed first, so a timer started right after one
 * fired takes a slot that is still in the cache.
 */
#include "timer_heap.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum {
    ARITY = ASYNC__TIMER_HEAP_ARITY,
    FIRST_CAP = 16,
    /* Arrays no larger than this many elements are never shrunk: a
     * loop that arms a few timers at a time does not reallocate. */
    SHRINK_MIN = 4096,
    /* Stale entries are swept out once they outnumber the armed timers
     * and there are more than this many entries in all. */
    STALE_MIN = 1024,
    /* The slot table is renumbered once fewer than one in this many of
     * its slots is armed (and it has more than SHRINK_MIN). */
    SLOTS_SPARSE = 8
};

static int entry_before(const async__timer_entry *a,
                        const async__timer_entry *b) {
    return a->deadline_ns < b->deadline_ns ||
           (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

/* Puts `e` at hole i or above it. */
static void sift_up(async__timer_entry *items, size_t i, async__timer_entry e) {
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;

        if (!entry_before(&e, &items[parent]))
            break;
        items[i] = items[parent];
        i = parent;
    }
    items[i] = e;
}

/* The index of the smallest of the children of the entry whose first
 * child is `first` (< n), in a heap of n entries. */
static size_t smallest_child(const async__timer_entry *items, size_t n,
                             size_t first) {
    size_t best;

#ifdef __GNUC__
    /* The grandchildren's addresses follow from `first` alone: fetching
     * them now overlaps the next level's cache misses with this level's
     * comparisons. */
    if (ARITY * first + 1 < n) {
        const char *g = (const char *)&items[ARITY * first + 1];
        __builtin_prefetch(g);
        __builtin_prefetch(g + 64);
        __builtin_prefetch(g + 128);
        __builtin_prefetch(g + 192);
    }
#endif
    if (n - first >= ARITY) {
        /* All four children: a tournament of independent comparisons
         * rather than a chain of dependent ones. */
        size_t a = first + entry_before(&items[first + 1], &items[first]);
        size_t b =
            first + 2 + entry_before(&items[first + 3], &items[first + 2]);

        return entry_before(&items[b], &items[a]) ? b : a;
    }
    best = first;
    for (size_t c = first + 1; c < n; c++)
        if (entry_before(&items[c], &items[best]))
            best = c;
    return best;
}

/* Puts `e` at hole i or below it, in a heap of n entries. */
static void sift_down(async__timer_entry *items, size_t n, size_t i,
                      async__timer_entry e) {
    for (;;) {
        size_t first = ARITY * i + 1, best;

        if (first >= n)
            break;
        best = smallest_child(items, n, first);
        if (!entry_before(&items[best], &e))
            break;
        items[i] = items[best];
        i = best;
    }
    items[i] = e;
}

/* Refills the hole at the top, in a heap of n entries, with `e` (the
 * former last entry): the hole goes down to a leaf along the smallest
 * children, then `e` rises from there (Floyd's bottom-up heap).  The
 * last entry nearly always belongs near the bottom, so this skips the
 * comparison with `e` at each level that sift_down makes, and its rise
 * is usually a step or none. */
static void refill_top(async__timer_entry *items, size_t n,
                       async__timer_entry e) {
    size_t i = 0;

    for (;;) {
        size_t first = ARITY * i + 1, best;

        if (first >= n)
            break;
        best = smallest_child(items, n, first);
        items[i] = items[best];
        i = best;
    }
    sift_up(items, i, e);
}

/* Restores the heap order of the whole array (Floyd): O(n). */
static void heapify(async__timer_heap *h) {
    if (h->n_items < 2)
        return;
    for (size_t i = (h->n_items - 2) / ARITY + 1; i-- > 0;)
        sift_down(h->items, h->n_items, i, h->items[i]);
}

/* Arrays of MAP_MIN bytes or more are mappings of their own, resized
 * with mremap: growing one moves its page table entries, not its bytes,
 * and the old copy never coexists with the new one.  realloc copies once
 * an array lives in malloc's heap (glibc's mmap threshold rises to 32
 * MiB as the task allocator frees its chunks): with a million timers
 * that was 24 MB copied in the pass that arms them.  Smaller arrays
 * come from realloc, so an interposed allocator still sees them.  An
 * array's size says where it is: the caller passes the byte count it
 * was given. */
enum { MAP_MIN = 1 << 20 };

static void *map_bytes(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

static void array_free(void *p, size_t bytes) {
    if (p != NULL && bytes >= MAP_MIN)
        (void)munmap(p, bytes);
    else
        free(p);
}

/* realloc(p, new_bytes) for an array of old_bytes (0 when p is NULL):
 * NULL, with p untouched, when out of memory. */
static void *array_resize(void *p, size_t old_bytes, size_t new_bytes) {
    void *q;

    if (p == NULL)
        old_bytes = 0;
    if (old_bytes < MAP_MIN && new_bytes < MAP_MIN)
        return realloc(p, new_bytes);
    if (old_bytes >= MAP_MIN && new_bytes >= MAP_MIN) {
        q = mremap(p, old_bytes, new_bytes, MREMAP_MAYMOVE);
        return q == MAP_FAILED ? NULL : q;
    }
    q = new_bytes >= MAP_MIN ? map_bytes(new_bytes) : malloc(new_bytes);
    if (q == NULL)
        return NULL;
    if (p != NULL)
        memcpy(q, p, old_bytes < new_bytes ? old_bytes : new_bytes);
    array_free(p, old_bytes);
    return q;
}

void async__timer_heap_init(async__timer_heap *h) {
    h->items = NULL;
    h->n_items = 0;
    h->items_cap = 0;
    h->slots = NULL;
    h->n_slots = 0;
    h->slots_cap = 0;
    h->free_head = 0;
    h->next_seq = 0;
    h->len = 0;
    h->removed = 0;
}

void async__timer_heap_free(async__timer_heap *h) {
    for (size_t i = 0; i < h->n_items; i++) {
        async__timer *t = h->slots[h->items[i].slot].timer;

        if (t != NULL)
            t->index = ASYNC__TIMER_NONE;
    }
    array_free(h->items, h->items_cap * sizeof(*h->items));
    array_free(h->slots, (size_t)h->slots_cap * sizeof(*h->slots));
    async__timer_heap_init(h);
}

static void slot_free(async__timer_heap *h, uint32_t s) {
    h->slots[s].next_free = h->free_head;
    h->free_head = s + 1;
}

/* Makes room for one more entry. */
static int items_reserve(async__timer_heap *h) {
    async__timer_entry *items;
    size_t cap;

    if (h->n_items < h->items_cap)
        return 0;
    cap = h->items_cap ? h->items_cap * 2 : FIRST_CAP;
    if (cap > SIZE_MAX / sizeof(*items))
        return -ENOMEM;
    items = array_resize(h->items, h->items_cap * sizeof(*items),
                         cap * sizeof(*items));
    if (items == NULL)
        return -ENOMEM;
    h->items = items;
    h->items_cap = cap;
    return 0;
}

/* Makes sure a slot is free or can be handed out.  Slot numbers stay
 * below ASYNC__TIMER_NONE. */
static int slots_reserve(async__timer_heap *h) {
    async__timer_slot *slots;
    uint64_t cap;

    if (h->free_head != 0 || h->n_slots < h->slots_cap)
        return 0;
    cap = h->slots_cap ? (uint64_t)h->slots_cap * 2 : FIRST_CAP;
    if (cap > ASYNC__TIMER_NONE)
        cap = ASYNC__TIMER_NONE;
    if (cap == h->slots_cap || cap > SIZE_MAX / sizeof(*slots))
        return -ENOMEM;
    slots = array_resize(h->slots, (size_t)h->slots_cap * sizeof(*slots),
                         (size_t)cap * sizeof(*slots));
    if (slots == NULL)
        return -ENOMEM;
    h->slots = slots;
    h->slots_cap = (uint32_t)cap;
    return 0;
}

/* Reallocates an array to `cap` elements of `size` bytes when that is
 * smaller than `*cap_now`.  A failed realloc keeps the larger array. */
static void *shrink_to(void *array, size_t size, size_t cap, size_t *cap_now) {
    void *p;

    if (cap >= *cap_now)
        return array;
    p = array_resize(array, *cap_now * size, cap * size);
    if (p == NULL)
        return array;
    *cap_now = cap;
    return p;
}

/* The entry array's capacity halves while less than a quarter of it is
 * used, so that pushes and pops around a boundary do not resize it
 * each time. */
static void shrink_items(async__timer_heap *h) {
    size_t cap = h->items_cap;

    while (cap > SHRINK_MIN && h->n_items < cap / 4)
        cap /= 2;
    h->items = shrink_to(h->items, sizeof(*h->items), cap, &h->items_cap);
}

static void shrink_slots(async__timer_heap *h, size_t cap) {
    size_t now = h->slots_cap;

    h->slots = shrink_to(h->slots, sizeof(*h->slots), cap, &now);
    h->slots_cap = (uint32_t)now;
}

/* Drops every stale entry and restores the heap order: O(n).  With
 * `renumber`, the armed timers also get slots 0..len-1 of a new table
 * sized for them (each timer's index is rewritten), which is how the
 * table shrinks: its free slots are scattered.  When the new table
 * cannot be allocated, the stale entries go and the table stays. */
static void rebuild(async__timer_heap *h, int renumber) {
    async__timer_slot *fresh = NULL;
    size_t cap = FIRST_CAP, j = 0;

    if (renumber) {
        while (cap < 2 * h->len)
            cap *= 2;
        if (cap < h->slots_cap)
            fresh = array_resize(NULL, 0, cap * sizeof(*fresh));
    }
    for (size_t i = 0; i < h->n_items; i++) {
        async__timer_entry e = h->items[i];
        async__timer *t = h->slots[e.slot].timer;

        if (t == NULL) {
            if (fresh == NULL)
                slot_free(h, e.slot);
            continue;
        }
        if (fresh != NULL) {
            fresh[j].timer = t;
            e.slot = (uint32_t)j;
            t->index = e.slot;
        }
        h->items[j++] = e;
    }
    h->n_items = j;
    if (fresh != NULL) {
        array_free(h->slots, (size_t)h->slots_cap * sizeof(*h->slots));
        h->slots = fresh;
        h->slots_cap = (uint32_t)cap;
        h->n_slots = (uint32_t)j;
        h->free_head = 0;
    }
    h->removed = 0;
    heapify(h);
    shrink_items(h);
}

/* After a timer left: frees what the heap no longer needs.  A rebuild
 * costs O(n_items) and waits for n_items / 2 removals since the last
 * one, so it costs O(1) per removal even when it cannot shrink the
 * table (no memory for the new one). */
static void maintain(async__timer_heap *h) {
    size_t stale = h->n_items - h->len;
    int sparse;

    if (h->len == 0) {
        /* Whatever entries are left are stale: drop them all at once. */
        h->n_items = 0;
        h->n_slots = 0;
        h->free_head = 0;
        h->removed = 0;
        h->items =
            shrink_to(h->items, sizeof(*h->items), SHRINK_MIN, &h->items_cap);
        shrink_slots(h, SHRINK_MIN);
        return;
    }
    h->removed++;
    sparse = h->n_slots > SHRINK_MIN && h->len < h->n_slots / SLOTS_SPARSE;
    if ((sparse || (stale > h->len && h->n_items > STALE_MIN)) &&
        h->removed >= h->n_items / 2)
        rebuild(h, sparse);
    else if (h->items_cap > SHRINK_MIN && h->n_items < h->items_cap / 4)
        shrink_items(h);
}

/* Sorts the entries by seq (heapsort: no allocation), numbers them
 * 0, 1, ... in that order, and restores the heap order.  Equal
 * deadlines keep their relative order; seq starts afresh after them. */
static void renumber_seqs(async__timer_heap *h) {
    async__timer_entry *a = h->items;
    size_t n = h->n_items;

    /* A binary max-heap on seq, then its maximum moved to the end. */
    for (size_t k = n; k-- > 0;) {
        size_t i = k;
        async__timer_entry e = a[i];

        for (;;) {
            size_t c = 2 * i + 1;

            if (c >= n)
                break;
            if (c + 1 < n && a[c + 1].seq > a[c].seq)
                c++;
            if (a[c].seq <= e.seq)
                break;
            a[i] = a[c];
            i = c;
        }
        a[i] = e;
    }
    for (size_t end = n; end-- > 1;) {
        async__timer_entry e = a[end];
        size_t i = 0;

        a[end] = a[0];
        for (;;) {
            size_t c = 2 * i + 1;

            if (c >= end)
                break;
            if (c + 1 < end && a[c + 1].seq > a[c].seq)
                c++;
            if (a[c].seq <= e.seq)
                break;
            a[i] = a[c];
            i = c;
        }
        a[i] = e;
    }
    for (size_t i = 0; i < n; i++)
        a[i].seq = (uint32_t)i;
    h->next_seq = (uint32_t)n;
    heapify(h);
}

int async__timer_heap_push(async__timer_heap *h, async__timer *t) {
    async__timer_entry e;
    uint32_t s;

    if (items_reserve(h) != 0 || slots_reserve(h) != 0) {
        t->index = ASYNC__TIMER_NONE;
        return -ENOMEM;
    }
    /* There is a slot for this timer, so fewer than ASYNC__TIMER_NONE
     * entries: after renumbering, seq stays below UINT32_MAX. */
    if (h->next_seq == UINT32_MAX)
        renumber_seqs(h);
    if (h->free_head != 0) {
        s = h->free_head - 1;
        h->free_head = h->slots[s].next_free;
    } else {
        s = h->n_slots++;
    }
    h->slots[s].timer = t;
    t->index = s;
    e.deadline_ns = t->deadline_ns;
    e.seq = h->next_seq++;
    e.slot = s;
    sift_up(h->items, h->n_items++, e);
    h->len++;
    return 0;
}

/* Takes the top entry out of the heap and frees its slot; returns its
 * timer, or NULL when the entry was stale. */
static async__timer *take_top(async__timer_heap *h) {
    uint32_t s = h->items[0].slot;
    async__timer *t = h->slots[s].timer;
    async__timer_entry last = h->items[--h->n_items];

    if (h->n_items > 0) {
        refill_top(h->items, h->n_items, last);
#ifdef __GNUC__
        /* The next pop reads the new top's slot, then writes its timer,
         * which the loop reads to fire it: fetch the timer now, so that
         * its cache miss overlaps with firing this one rather than
         * following it.  (The slot itself is read here, and a stale
         * slot's NULL prefetches nothing harmful.) */
        __builtin_prefetch(h->slots[h->items[0].slot].timer, 1);
#endif
    }
    slot_free(h, s);
    return t;
}

/* Drops stale entries from the top, so that the top, if any, is armed.
 * Terminates: while a timer is armed, its entry is in the heap. */
static void skip_stale(async__timer_heap *h) {
    while (h->n_items > 0 && h->slots[h->items[0].slot].timer == NULL)
        (void)take_top(h);
}

async__timer *async__timer_heap_top(async__timer_heap *h) {
    skip_stale(h);
    return h->n_items > 0 ? h->slots[h->items[0].slot].timer : NULL;
}

uint64_t async__timer_heap_next_deadline(async__timer_heap *h) {
    skip_stale(h);
    return h->n_items > 0 ? h->items[0].deadline_ns : UINT64_MAX;
}

async__timer *async__timer_heap_pop_due(async__timer_heap *h, uint64_t now_ns) {
    async__timer *t;

    skip_stale(h);
    if (h->n_items == 0 || h->items[0].deadline_ns > now_ns)
        return NULL;
    t = take_top(h);
    t->index = ASYNC__TIMER_NONE;
    h->len--;
    maintain(h);
    return t;
}

async__timer *async__timer_heap_pop(async__timer_heap *h) {
    return async__timer_heap_pop_due(h, UINT64_MAX);
}

void async__timer_heap_remove(async__timer_heap *h, async__timer *t) {
    uint32_t s = t->index;

    assert(s < h->n_slots && h->slots[s].timer == t);
    h->slots[s].timer = NULL;
    t->index = ASYNC__TIMER_NONE;
    h->len--;
    maintain(h);
}
