/*
 * timer_heap.h -- the loop's timers: a 4-ary min-heap ordered by
 * (deadline_ns, seq).
 *
 * The timers themselves live in the frames that wait on them; the heap
 * holds a pointer to each together with a copy of its key, so starting a
 * timer allocates nothing except when the array has to grow, and
 * comparisons never leave the array: with a million timers pending, a
 * comparison that had to follow a pointer would miss the cache nearly
 * every time.  Each timer records its position in the heap, which makes
 * removing an arbitrary timer O(log n).
 */
#ifndef ASYNC_TIMER_HEAP_H
#define ASYNC_TIMER_HEAP_H

#include <async.h>
#include <stddef.h>
#include <stdint.h>

/* timer->index of a timer that is not in any heap: never started, fired
 * or stopped. */
#define ASYNC__TIMER_NONE SIZE_MAX

/* Children per node: those of items[i] are items[4i + 1..4i + 4]. */
#define ASYNC__TIMER_HEAP_ARITY 4

/* One entry: the timer and its key, copied when it was pushed. */
typedef struct async__timer_slot {
    uint64_t deadline_ns;
    uint64_t seq;
    async__timer *timer;
} async__timer_slot;

typedef struct async__timer_heap {
    async__timer_slot *items; /* items[0] expires first */
    size_t len;               /* timers in the heap */
    size_t cap;               /* room in items */
} async__timer_heap;

/* A zeroed heap is a valid empty heap; init just spells that out. */
void async__timer_heap_init(async__timer_heap *h);

/* Frees the array.  The timers still in the heap are marked
 * ASYNC__TIMER_NONE first, so no timer claims a slot of a freed array. */
void async__timer_heap_free(async__timer_heap *h);

/* Inserts `t`, whose deadline_ns and seq the caller has set; they must
 * not change while t is in the heap.  O(log n).  Returns 0, or -ENOMEM
 * when the array cannot grow (the heap is then unchanged and t->index is
 * ASYNC__TIMER_NONE). */
int async__timer_heap_push(async__timer_heap *h, async__timer *t);

/* The timer that expires first, or NULL when the heap is empty.  O(1). */
async__timer *async__timer_heap_top(const async__timer_heap *h);

/* Removes and returns the timer that expires first, or NULL.  O(log n). */
async__timer *async__timer_heap_pop(async__timer_heap *h);

/* Removes `t`, which must be in `h`.  O(log n).  The array shrinks when
 * it has become mostly empty, so a burst of timers does not keep its
 * memory for the rest of the run. */
void async__timer_heap_remove(async__timer_heap *h, async__timer *t);

#endif /* ASYNC_TIMER_HEAP_H */
