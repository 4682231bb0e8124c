/*
 * afn.c -- frames of calls through async function pointers.
 *
 * A pointer to an async function points to the function's starter (see
 * async.h), so its callee, and with it the frame's size, is known only at
 * run time.  The frame cannot be embedded in the caller's; it comes from
 * the task allocator instead of malloc, so that an indirect await in a
 * loop reuses the block the previous one freed.  A block is the
 * allocator's 32-byte header (its fn NULL: no task lives there, the walk
 * over live tasks skips it), the descriptor, and the frame at a 16-byte
 * boundary.
 */
#include "internal.h"
#include "task_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct afn_block {
    async_task mem; /* the allocator's header; mem.fn stays NULL */
    const async__afn *afn;
} afn_block;

enum { FRAME_OFFSET = (sizeof(afn_block) + 15) & ~(size_t)15 };

/* The frame a starter made and no caller has taken yet. */
static _Thread_local void *pending;

static afn_block *block_of(void *frame) {
    return (afn_block *)(void *)((char *)frame - FRAME_OFFSET);
}

void *async__afn_frame(const async__afn *d) {
    if (pending != NULL) {
        fprintf(stderr,
                "asyncrt: async function '%s' was called directly; call it "
                "inside await(), async_spawn() or async_gather()\n",
                d->fn.name);
        abort();
    }
    size_t size = FRAME_OFFSET + d->frame_size;
    if (d->fn.frame_align == 0 || d->fn.frame_align > 8)
        size = (size + 15) & ~(size_t)15;
    async_task *mem =
        d->frame_size <= SIZE_MAX / 2 ? async__task_mem_alloc(size) : NULL;
    if (mem == NULL) {
        fprintf(stderr,
                "asyncrt: out of memory allocating the frame of '%s' "
                "(%zu bytes)\n",
                d->fn.name, d->frame_size);
        abort();
    }
    mem->fn = NULL;
    afn_block *b = (afn_block *)(void *)mem;
    b->afn = d;
    pending = (char *)b + FRAME_OFFSET;
    return pending;
}

void *async__afn_take(void) {
    void *frame = pending;
    if (frame == NULL) {
        fprintf(stderr, "asyncrt: a call through an async function pointer "
                        "started no frame: the pointer does not point to an "
                        "async function\n");
        abort();
    }
    pending = NULL;
    return frame;
}

int async__afn_poll(void *frame) {
    return block_of(frame)->afn->fn.poll(frame);
}

const char *async__afn_name(void *frame) {
    return block_of(frame)->afn->fn.name;
}

void *async__afn_result(void *frame) {
    return (char *)frame + block_of(frame)->afn->fn.result_offset;
}

void async__afn_free(void *frame) {
    async__task_mem_free(&block_of(frame)->mem);
}

async_task *async__afn_spawn(void) {
    void *frame = async__afn_take();
    const async__afn *d = block_of(frame)->afn;
    async_task *t = async__task_new(&d->fn, d->frame_size);
    if (t != NULL) {
        /* Nothing points into a frame before its first resume: it may
         * move into the task. */
        memcpy(async__task_frame(t), frame, d->frame_size);
        async__task_start(t);
    }
    async__afn_free(frame);
    return t;
}
