/*
 * task_waiters.c -- the lists of nodes waiting for tasks to end.
 *
 * Most tasks are never joined, gathered or watched, so a spawned task's
 * 24-byte header has no room for a list head.  The loop keeps the lists
 * of spawned tasks in one hash table instead, keyed by the task, whose
 * buckets chain the nodes themselves (each node names its task in `of`).
 * Linking a node thus never allocates and never fails: when the bucket
 * array cannot grow, chains just get longer.  A task with nodes in the
 * table has ASYNC__TASK_WAITED, so finishing one that has none costs a
 * flag test.  One task's nodes keep their order within its chain, which
 * is the order their on_done calls run in.
 *
 * An embedded task (an async__child) has a list head of its own: those
 * tasks are few and not worth a trip through the table.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>

/* The table of this thread's loop.  Buckets point to the first node of
 * their chain; `spare` is the one bucket used before the array is first
 * allocated, or when that fails. */
typedef struct waiter_table {
    async__waiter **buckets;
    async__waiter *spare;
    unsigned bits;    /* log2 of the number of buckets */
    size_t count;     /* nodes in the table */
    size_t allocated; /* buckets in the array that `buckets` owns, or 0 */
} waiter_table;

enum { MIN_BITS = 6, SPARE_MAX = 16 };

static _Thread_local waiter_table table;

static void table_forget(void);
static _Thread_local async__loop_hook reset_hook = {table_forget, NULL, 0};

/* The end of async_run: the nodes lived in frames that are being freed. */
static void table_forget(void) {
    if (table.allocated)
        free(table.buckets);
    table = (waiter_table){0};
}

static async__waiter **bucket_of(const async_task *t) {
    uint64_t h = (uint64_t)(uintptr_t)t * UINT64_C(0x9E3779B97F4A7C15);

    if (table.buckets == NULL) {
        table.buckets = &table.spare;
        async__loop_on_reset(&reset_hook);
    }
    return table.bits ? &table.buckets[h >> (64 - table.bits)] : table.buckets;
}

/* Appends `w` to the end of `*link`'s chain. */
static void chain_append(async__waiter **link, async__waiter *w) {
    while (*link != NULL)
        link = &(*link)->next;
    w->next = NULL;
    *link = w;
}

/* Moves every node to a table of 2^bits buckets, each chain's nodes in
 * their order; keeps the table as it is when the array cannot be had. */
static void table_resize(unsigned bits) {
    async__waiter **old = table.buckets;
    size_t n_old = table.bits ? (size_t)1 << table.bits : 1;
    async__waiter **fresh = calloc((size_t)1 << bits, sizeof *fresh);

    if (fresh == NULL)
        return;
    table.buckets = fresh;
    table.bits = bits;
    for (size_t i = 0; i < n_old; i++) {
        async__waiter *w = old[i];

        while (w != NULL) {
            async__waiter *next = w->next;

            chain_append(bucket_of(w->of), w);
            w = next;
        }
    }
    if (table.allocated)
        free(old);
    else
        table.spare = NULL;
    table.allocated = (size_t)1 << bits;
}

/* Keeps about one node per bucket: doubles past two per bucket, halves
 * below one per eight, never under 2^MIN_BITS.  Up to SPARE_MAX nodes
 * share the spare bucket, so a program with few waits allocates
 * nothing for them. */
static void table_fit(void) {
    size_t n = table.bits ? (size_t)1 << table.bits : 1;

    if (table.bits == 0) {
        if (table.count > SPARE_MAX)
            table_resize(MIN_BITS);
    } else if (table.count > 2 * n) {
        table_resize(table.bits + 1);
    } else if (table.bits > MIN_BITS && table.count < n / 8) {
        table_resize(table.bits - 1);
    }
}

static async__waiter **list_of(async_task *t) {
    return (t->flags & ASYNC__TASK_HEAP) ? bucket_of(t)
                                         : &((async__child *)t)->waiters;
}

void async__waiter_link(async_task *t, async__waiter *w, int at_end) {
    async__waiter **link = list_of(t);

    w->of = t;
    if (at_end) {
        chain_append(link, w);
    } else {
        /* Before t's first node: at the chain's head is as good. */
        w->next = *link;
        *link = w;
    }
    if (t->flags & ASYNC__TASK_HEAP) {
        t->flags |= ASYNC__TASK_WAITED;
        table.count++;
        table_fit();
    }
}

void async__waiter_unlink(async__waiter *w) {
    async_task *t = w->of;
    async__waiter **link;
    int found = 0, others = 0;

    if (t == NULL ||
        ((t->flags & ASYNC__TASK_HEAP) && !(t->flags & ASYNC__TASK_WAITED)))
        return;
    for (link = list_of(t); *link != NULL;) {
        if (*link == w) {
            *link = w->next;
            found = 1;
            continue;
        }
        others |= (*link)->of == t;
        link = &(*link)->next;
    }
    w->next = NULL;
    if (found && (t->flags & ASYNC__TASK_HEAP)) {
        if (!others)
            t->flags &= ~(unsigned)ASYNC__TASK_WAITED;
        table.count--;
        table_fit();
    }
}

async__waiter *async__waiters_take(async_task *t) {
    async__waiter *first = NULL, **last = &first, **link;

    if (!(t->flags & ASYNC__TASK_HEAP)) {
        first = ((async__child *)t)->waiters;
        ((async__child *)t)->waiters = NULL;
        return first;
    }
    if (!(t->flags & ASYNC__TASK_WAITED))
        return NULL;
    t->flags &= ~(unsigned)ASYNC__TASK_WAITED;
    for (link = bucket_of(t); *link != NULL;) {
        async__waiter *w = *link;

        if (w->of != t) {
            link = &w->next;
            continue;
        }
        *link = w->next;
        *last = w;
        last = &w->next;
        table.count--;
    }
    *last = NULL;
    table_fit();
    return first;
}

async__waiter *async__waiter_next(async_task *t, async__waiter *w) {
    if (w == NULL) {
        if ((t->flags & ASYNC__TASK_HEAP) && !(t->flags & ASYNC__TASK_WAITED))
            return NULL;
        w = *list_of(t);
    } else {
        w = w->next;
    }
    while (w != NULL && (t->flags & ASYNC__TASK_HEAP) && w->of != t)
        w = w->next;
    return w;
}
