/*
 * task_alloc.c -- the spawned tasks' slab allocator (see task_alloc.h).
 *
 * Sizes are rounded up to 8 bytes, one size class per multiple of 8
 * up to SMALL_MAX (a task with a frame of 1 KiB; larger frames live
 * apart, see task.c).  A class owns chunks of CHUNK_SIZE (2 MiB) aligned
 * to CHUNK_SIZE, so a block finds its chunk by masking its address.
 * Blocks start 16-byte aligned in a chunk, so those of a class whose
 * size is a multiple of 16 are all aligned for any type, and the others
 * to 8 bytes (task.c asks for a multiple of 16 for frames that need it).  A
 * chunk hands out blocks from its free list first, then from its
 * never-used tail, which it touches only when it gets there: a chunk
 * with a few tasks costs a few pages of memory, not two megabytes.
 *
 * A chunk whose last task is freed is kept for reuse, one per class; a
 * second one is returned to the system, so a burst of tasks gives back
 * its memory once it is over.
 *
 * Under AddressSanitizer the blocks not in use are poisoned, but for
 * their first 16 bytes (fn and the free-list link), so that a task
 * used after it was freed is still reported.
 */
#include "task_alloc.h"

#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define TASK_ALLOC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TASK_ALLOC_ASAN 1
#endif
#endif
#ifdef TASK_ALLOC_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

enum {
    GRAIN = 8,
    SMALL_MAX = 1056, /* sizeof(async_task) + 1 KiB */
    NCLASSES = SMALL_MAX / GRAIN + 1,
    CHUNK_SIZE = 1 << 21, /* a huge page on x86-64 and arm64 */
    KEEP_LINK = 16        /* bytes of a free block left unpoisoned */
};

typedef struct chunk chunk;
struct chunk {
    chunk *prev, *next;           /* the class's chunks, oldest first */
    chunk *prev_open, *next_open; /* the class's chunks with room */
    async_task *free;             /* freed blocks, linked by next_ready */
    char *bump;                   /* the never-used blocks start here */
    size_t live;                  /* blocks handed out */
    unsigned cls;                 /* its size class */
    int open;                     /* on the class's list of chunks with room */
};

/* Where a chunk's blocks start: after its header, aligned for any type. */
#define BLOCKS_OFFSET                                                          \
    ((sizeof(chunk) + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) *     \
     _Alignof(max_align_t))

typedef struct size_class {
    chunk *first, *last; /* all chunks */
    chunk *open;         /* chunks with room, the one to use first */
    chunk *open_last;
    unsigned empty; /* chunks without a live block (kept: at most 1) */
} size_class;

/* A block from malloc, after this header. */
typedef struct big_block {
    struct big_block *prev, *next;
} big_block;

static _Thread_local size_class classes[NCLASSES];
static _Thread_local big_block *bigs;

static size_t block_size(unsigned cls) { return (size_t)cls * GRAIN; }

static char *blocks_start(chunk *c) { return (char *)c + BLOCKS_OFFSET; }

static int chunk_full(const chunk *c) {
    return c->free == NULL &&
           (size_t)((char *)c + CHUNK_SIZE - c->bump) < block_size(c->cls);
}

static void open_add(size_class *sc, chunk *c) {
    c->open = 1;
    c->next_open = NULL;
    c->prev_open = sc->open_last;
    if (sc->open_last != NULL)
        sc->open_last->next_open = c;
    else
        sc->open = c;
    sc->open_last = c;
}

static void open_remove(size_class *sc, chunk *c) {
    if (c->prev_open != NULL)
        c->prev_open->next_open = c->next_open;
    else
        sc->open = c->next_open;
    if (c->next_open != NULL)
        c->next_open->prev_open = c->prev_open;
    else
        sc->open_last = c->prev_open;
    c->open = 0;
}

/* From aligned_alloc, which takes big blocks straight from the system
 * (mmap) and only the pages touched count; and a program's malloc
 * interposer (or a test's) sees it.  A class's second chunk and those
 * after it are many tasks' worth: they ask for a transparent huge
 * page, so that filling one costs one page fault rather than 512 (a
 * third of spawning's time went to faults).  The first stays in small
 * pages: a program with a few tasks does not pay 2 MiB per class. */
static chunk *chunk_map(int huge) {
    chunk *c = aligned_alloc(CHUNK_SIZE, CHUNK_SIZE);

#ifdef MADV_HUGEPAGE
    if (c != NULL && huge)
        (void)madvise(c, CHUNK_SIZE, MADV_HUGEPAGE); /* a hint only */
#else
    (void)huge;
#endif
    return c;
}

static void chunk_unmap(chunk *c) {
    UNPOISON(c, CHUNK_SIZE);
    free(c);
}

static chunk *chunk_new(size_class *sc, unsigned cls) {
    chunk *c = chunk_map(sc->first != NULL);

    if (c == NULL)
        return NULL;
    c->free = NULL;
    c->bump = blocks_start(c);
    c->live = 0;
    c->cls = cls;
    POISON(c->bump, CHUNK_SIZE - BLOCKS_OFFSET);
    c->next = NULL;
    c->prev = sc->last;
    if (sc->last != NULL)
        sc->last->next = c;
    else
        sc->first = c;
    sc->last = c;
    sc->empty++;
    open_add(sc, c);
    return c;
}

static void chunk_drop(size_class *sc, chunk *c) {
    if (c->open)
        open_remove(sc, c);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        sc->first = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        sc->last = c->prev;
    sc->empty--;
    chunk_unmap(c);
}

static async_task *big_alloc(size_t size) {
    big_block *b;
    async_task *t;

    if (size > SIZE_MAX - sizeof *b) {
        errno = ENOMEM;
        return NULL;
    }
    b = malloc(sizeof *b + size);
    if (b == NULL)
        return NULL;
    b->prev = NULL;
    b->next = bigs;
    if (bigs != NULL)
        bigs->prev = b;
    bigs = b;
    t = (async_task *)(b + 1);
    t->flags = ASYNC__TASK_HEAP | ASYNC__TASK_BIG;
    return t;
}

static void big_free(async_task *t) {
    big_block *b = (big_block *)t - 1;

    if (b->prev != NULL)
        b->prev->next = b->next;
    else
        bigs = b->next;
    if (b->next != NULL)
        b->next->prev = b->prev;
    free(b);
}

async_task *async__task_mem_alloc(size_t size) {
    unsigned cls;
    size_class *sc;
    chunk *c;
    async_task *t;

    if (size > SMALL_MAX)
        return big_alloc(size);
    cls = (unsigned)((size + GRAIN - 1) / GRAIN);
    sc = &classes[cls];
    c = sc->open;
    if (c == NULL && (c = chunk_new(sc, cls)) == NULL)
        return NULL;
    if (c->free != NULL) {
        t = c->free;
        UNPOISON(t, block_size(cls));
        c->free = t->next_ready;
    } else {
        t = (async_task *)c->bump;
        UNPOISON(t, block_size(cls));
        c->bump += block_size(cls);
    }
    if (c->live++ == 0)
        sc->empty--;
    if (chunk_full(c))
        open_remove(sc, c);
    t->flags = ASYNC__TASK_HEAP;
    return t;
}

void async__task_mem_free(async_task *t) {
    chunk *c;
    size_class *sc;

    if (t->flags & ASYNC__TASK_BIG) {
        big_free(t);
        return;
    }
    c = (chunk *)((uintptr_t)t & ~(uintptr_t)(CHUNK_SIZE - 1));
    sc = &classes[c->cls];
    t->fn = NULL; /* not live: async__task_mem_each skips it */
    t->next_ready = c->free;
    c->free = t;
    POISON((char *)t + KEEP_LINK, block_size(c->cls) - KEEP_LINK);
    if (!c->open)
        open_add(sc, c);
    if (--c->live > 0)
        return;
    if (sc->empty > 0) {
        sc->empty++;
        chunk_drop(sc, c);
        return;
    }
    /* The class's spare: start again from its first block, so the next
     * tasks reuse the pages already touched, in order. */
    sc->empty++;
    c->free = NULL;
    c->bump = blocks_start(c);
    POISON(c->bump, CHUNK_SIZE - BLOCKS_OFFSET);
}

void async__task_mem_each(void (*fn)(async_task *t, void *arg), void *arg) {
    for (unsigned cls = 0; cls < NCLASSES; cls++) {
        size_t size = block_size(cls);

        for (chunk *c = classes[cls].first; c != NULL; c = c->next)
            for (char *p = blocks_start(c); p < c->bump; p += size)
                if (((async_task *)p)->fn != NULL)
                    fn((async_task *)p, arg);
    }
    /* A big block that holds no task (an async function pointer's frame)
     * has fn NULL too. */
    for (big_block *b = bigs; b != NULL; b = b->next)
        if (((async_task *)(b + 1))->fn != NULL)
            fn((async_task *)(b + 1), arg);
}

void async__task_mem_reset(void) {
    for (unsigned cls = 0; cls < NCLASSES; cls++) {
        chunk *c = classes[cls].first;

        while (c != NULL) {
            chunk *next = c->next;

            chunk_unmap(c);
            c = next;
        }
        classes[cls] = (size_class){0};
    }
    while (bigs != NULL) {
        big_block *next = bigs->next;

        free(bigs);
        bigs = next;
    }
}
