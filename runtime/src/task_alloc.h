/*
 * task_alloc.h -- memory for spawned tasks: a slab allocator, one per
 * thread (like the loop), that also finds every live task.
 *
 * A spawned task is its 24-byte header followed by its frame.  Taking
 * each from malloc cost 16 bytes of malloc's own header per task and
 * a list link in each task to find them all again (for a shutdown, the
 * task dump and the end of async_run).  Here blocks of one size share
 * 2 MiB chunks aligned to their size, so a block costs its size alone,
 * allocating and freeing are a few instructions, and the live tasks are
 * found by walking the chunks: a block is live when its task's fn is
 * set.  Blocks too big for a chunk's size classes come from malloc and
 * are kept on a list.
 */
#ifndef ASYNC_TASK_ALLOC_H
#define ASYNC_TASK_ALLOC_H

#include <async.h>
#include <stddef.h>

/* A block of `size` bytes (at least sizeof(async_task)), aligned to 8
 * bytes, and for any type when `size` is a multiple of 16; its task's
 * flags set to ASYNC__TASK_HEAP (plus ASYNC__TASK_BIG for a block from
 * malloc) and its other fields undefined; NULL (errno ENOMEM) when out
 * of memory.  The caller must set the task's fn before anything else can
 * walk the live tasks. */
async_task *async__task_mem_alloc(size_t size);

/* Returns t's block. */
void async__task_mem_free(async_task *t);

/* Calls fn(t, arg) for each live task, chunk by chunk.  fn may change
 * the tasks but must not allocate or free any. */
void async__task_mem_each(void (*fn)(async_task *t, void *arg), void *arg);

/* Frees every block, live or not: the end of async_run. */
void async__task_mem_reset(void);

#endif /* ASYNC_TASK_ALLOC_H */
