/*
 * timer_heap.h -- the loop's timers: a binary min-heap of async__timer
 * pointers ordered by (deadline_ns, seq).
 *
 * The timers themselves live in the frames that wait on them; the heap
 * only holds pointers, so starting a timer allocates nothing except when
 * the pointer array has to grow.  Each timer records its position in the
 * heap, which makes removing an arbitrary timer O(log n).
 */
#ifndef ASYNC_TIMER_HEAP_H
#define ASYNC_TIMER_HEAP_H

#include <async.h>
#include <stddef.h>
#include <stdint.h>

/* timer->index of a timer that is not in any heap: never started, fired
 * or stopped. */
#define ASYNC__TIMER_NONE SIZE_MAX

typedef struct async__timer_heap {
    async__timer **items; /* items[0] expires first */
    size_t len;           /* timers in the heap */
    size_t cap;           /* room in items */
} async__timer_heap;

/* A zeroed heap is a valid empty heap; init just spells that out. */
void async__timer_heap_init(async__timer_heap *h);

/* Frees the array.  The timers still in the heap are marked
 * ASYNC__TIMER_NONE first, so no timer claims a slot of a freed array. */
void async__timer_heap_free(async__timer_heap *h);

/* Inserts `t`, whose deadline_ns and seq the caller has set.  O(log n).
 * Returns 0, or -ENOMEM when the array cannot grow (the heap is then
 * unchanged and t->index is ASYNC__TIMER_NONE). */
int async__timer_heap_push(async__timer_heap *h, async__timer *t);

/* The timer that expires first, or NULL when the heap is empty.  O(1). */
async__timer *async__timer_heap_top(const async__timer_heap *h);

/* Removes and returns the timer that expires first, or NULL.  O(log n). */
async__timer *async__timer_heap_pop(async__timer_heap *h);

/* Removes `t`, which must be in `h`.  O(log n). */
void async__timer_heap_remove(async__timer_heap *h, async__timer *t);

#endif /* ASYNC_TIMER_HEAP_H */
