/*
 * timer_heap.h -- the loop's timers: a 4-ary min-heap of 16-byte entries
 * ordered by (deadline_ns, seq), and a table of slots that point to the
 * armed timers.
 *
 * The timers themselves live in the frames that wait on them.  A heap
 * entry holds a timer's key and the number of its slot; the slot holds
 * the pointer.  Sifting moves entries and nothing else: it never reads
 * or writes a timer, so with a million timers pending, taking the first
 * one out costs the cache misses of the heap array alone, not one more
 * per level in some random frame (which is what keeping a position in
 * each timer cost).  Starting a timer allocates nothing except when an
 * array has to grow.
 *
 * Stopping is lazy and O(1): the slot forgets its timer, and the entry,
 * now stale, is dropped when it reaches the top, or when stale entries
 * outnumber the armed timers and the heap is rebuilt without them.
 * Either way it costs O(1) amortised per stop, and stale entries never
 * take more room than armed ones (plus a small constant).
 *
 * Memory follows the number of armed timers: the arrays grow by
 * doubling and, once mostly unused, shrink again, so a burst of timers
 * does not keep its memory for the rest of the run.
 */
#ifndef ASYNC_TIMER_HEAP_H
#define ASYNC_TIMER_HEAP_H

#include <async.h>
#include <stddef.h>
#include <stdint.h>

/* timer->index of a timer that is not armed: never started, fired or
 * stopped.  Armed timers have the number of their slot there, which is
 * smaller: index is 31 bits wide (async.h). */
#define ASYNC__TIMER_NONE 0x7FFFFFFFu

/* Children per node: those of items[i] are items[4i + 1..4i + 4]. */
#define ASYNC__TIMER_HEAP_ARITY 4

/* One heap entry: a copy of the timer's key and its slot number.  seq
 * is the start order, kept here only (the timer has no room for it), which
 * makes keys unique and equal deadlines fire in the order their timers were
 * started. */
typedef struct async__timer_entry {
    uint64_t deadline_ns;
    uint32_t seq;
    uint32_t slot;
} async__timer_entry;

/* A slot: the armed timer it stands for; NULL once that timer was
 * stopped while its entry is still in the heap; while the slot is on
 * the free list, 1 + the number of the next free slot (0: none). */
typedef union async__timer_slot {
    async__timer *timer;
    uint32_t next_free;
} async__timer_slot;

typedef struct async__timer_heap {
    async__timer_entry *items; /* the heap: items[0] has the smallest key */
    size_t n_items;            /* entries, stale ones included */
    size_t items_cap;          /* room in items */
    async__timer_slot *slots;  /* indexed by timer->index */
    uint32_t n_slots;          /* slots in use or on the free list */
    uint32_t slots_cap;        /* room in slots */
    uint32_t free_head;        /* 1 + the first free slot; 0: none */
    uint32_t next_seq;         /* seq of the next timer pushed */
    size_t len;                /* armed timers: entries that are not stale */
    size_t removed;            /* pops and stops since the last rebuild */
} async__timer_heap;

/* A zeroed heap is a valid empty heap; init just spells that out. */
void async__timer_heap_init(async__timer_heap *h);

/* Frees the arrays.  The timers still armed are marked
 * ASYNC__TIMER_NONE first, so none claims a slot of a freed table. */
void async__timer_heap_free(async__timer_heap *h);

/* Arms `t`, whose deadline_ns the caller has set: sets t->index to its
 * slot and gives it a start order (in its entry) that comes after every timer
 * pushed before.  O(log n), and O(1) on average for random deadlines.
 * Returns 0, or -ENOMEM when an array cannot grow (the heap is then
 * unchanged and t->index is ASYNC__TIMER_NONE). */
int async__timer_heap_push(async__timer_heap *h, async__timer *t);

/* The armed timer with the smallest key, or NULL when none is armed.
 * Drops the stale entries it finds on top first, so it is not const:
 * O(1), or O(log n) per stale entry dropped. */
async__timer *async__timer_heap_top(async__timer_heap *h);

/* The deadline of async__timer_heap_top(h), or UINT64_MAX when no timer
 * is armed; reads the heap array only. */
uint64_t async__timer_heap_next_deadline(async__timer_heap *h);

/* Removes and returns the armed timer with the smallest key, or NULL;
 * its index becomes ASYNC__TIMER_NONE.  O(log n). */
async__timer *async__timer_heap_pop(async__timer_heap *h);

/* The same, but only when its deadline is at most `now_ns`; NULL when no
 * armed timer is due. */
async__timer *async__timer_heap_pop_due(async__timer_heap *h, uint64_t now_ns);

/* Disarms `t`, which must be armed in `h`: it will not come out of the
 * heap, and its index becomes ASYNC__TIMER_NONE.  O(1) amortised. */
void async__timer_heap_remove(async__timer_heap *h, async__timer *t);

#endif /* ASYNC_TIMER_HEAP_H */
