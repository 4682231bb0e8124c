/*
 * afn.c -- frames of calls through async function pointers.
 *
 * A pointer to an async function points to the function's starter (see
 * async.h), so its callee, and with it the frame's size, is known only at
 * run time.  The frame cannot be embedded in the caller's; it comes from
 * the task allocator instead of malloc, so that an indirect await in a
 * loop reuses the block the previous one freed.  A block is the
 * allocator's 24-byte header (its fn NULL: no task lives there, the walk
 * over live tasks skips it), the descriptor just before the frame (where
 * async.h's inline accessors read it), and the frame at a 16-byte
 * boundary.  The block an await frees is kept as this thread's spare
 * for the next frame of its size: an indirect await in a loop then costs
 * no trip through the allocator at all.
 */
#include "internal.h"
#include "task_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct afn_block {
    async_task mem;        /* the allocator's header; mem.fn stays NULL */
    const async__afn *afn; /* right before the frame: ASYNC__AFN_OF */
} afn_block;

enum { FRAME_OFFSET = sizeof(afn_block) };
_Static_assert(FRAME_OFFSET % 16 == 0, "frames start 16-byte aligned");

_Thread_local void *async__afn_pending;
_Thread_local void *async__afn_spare;

/* The allocator's reset at the end of async_run frees the spare's
 * memory: the loop's teardown forgets it first.  Every run's first frame
 * comes from here (the spare is empty then), which registers the hook:
 * a frame freed later in the run may then become the spare. */
static void forget_spare(void) { async__afn_spare = NULL; }

static _Thread_local async__loop_hook spare_hook = {forget_spare, NULL, 0};

static size_t block_size(const async__afn *d) {
    size_t size = FRAME_OFFSET + d->frame_size;
    if (d->fn.frame_align == 0 || d->fn.frame_align > 8)
        size = (size + 15) & ~(size_t)15;
    return size;
}

static afn_block *block_of(void *frame) {
    return (afn_block *)(void *)((char *)frame - FRAME_OFFSET);
}

void *async__afn_frame_slow(const async__afn *d) {
    if (async__afn_pending != NULL) {
        fprintf(stderr,
                "asyncrt: async function '%s' was called directly; call it "
                "inside await(), async_spawn() or async_gather()\n",
                d->fn.name);
        abort();
    }
    async__loop_on_reset(&spare_hook);
    size_t size = block_size(d);
    void *frame = async__afn_spare;
    if (frame != NULL && block_size(ASYNC__AFN_OF(frame)) == size) {
        async__afn_spare = NULL;
    } else {
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
        frame = (char *)mem + FRAME_OFFSET;
    }
    block_of(frame)->afn = d;
    async__afn_pending = frame;
    return frame;
}

_Noreturn void async__afn_none(void) {
    fprintf(stderr, "asyncrt: a call through an async function pointer "
                    "started no frame: the pointer does not point to an "
                    "async function\n");
    abort();
}

int async__afn_poll_fn(void *frame) { return async__afn_poll(frame); }

void async__afn_free_slow(void *frame) {
    if (async__afn_spare == NULL) {
        async__afn_spare = frame;
        return;
    }
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
