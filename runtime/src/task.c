/*
 * task.c -- task lifecycle: spawning heap tasks, finishing, joining,
 * cancelling, releasing, and reading results and errors.
 *
 * A spawned task is one block of the task allocator (task_alloc.h), its
 * 24-byte header followed by its root frame.  A finished task's frame is
 * dead but for its result, which must stay readable until the handle is
 * released; for a large frame (a connection handler with a 64 KiB
 * buffer...) that would hold far more memory than the result.  So a
 * frame larger than SPLIT_MIN gets its own allocation from malloc, its
 * address kept after the header: when the task finishes, the result
 * moves into room kept there, and the frame is freed at once.
 */
#include "internal.h"
#include "task_alloc.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(async_task) == 24, "the task header is 24 bytes");
_Static_assert(sizeof(async_task) % 8 == 0 && ASYNC__SPLIT_RESULT % 16 == 0,
               "a frame right after a task header is aligned to 8 bytes, "
               "the result a split task keeps for any type");
_Static_assert(sizeof(async__waiter) == 24, "a waiter node is 24 bytes");
_Static_assert(sizeof(struct async_join__frame) == 40 &&
                   sizeof(struct async__join_cancel__frame) == 40,
               "join frames, embedded in generated frames, keep their size");

static void task_init(async_task *t, const async__fn *fn) {
    t->fn = fn;
    t->next_ready = NULL;
    t->error = 0;
}

void async__child_init(async__child *c, async__poll_fn poll, void *frame,
                       const char *name) {
    c->fn.poll = poll;
    c->fn.name = name;
    c->fn.result_offset = 0;
    c->fn.result_size = 0;
    c->fn.result_kind = ASYNC__RESULT_NONE;
    task_init(&c->task, &c->fn);
    c->task.flags = 0;
    c->frame = frame;
    c->group = NULL;
    c->next = NULL;
    c->waiters = NULL;
}

/* Frames up to this size stay with their task until it is freed. */
enum { SPLIT_MIN = 1024 };

void async__task_free_split(async_task *t) {
    if ((t->flags & ASYNC__TASK_SPLIT) && !(t->flags & ASYNC__TASK_DONE))
        free(async__split_frame(t));
}

/* Frees a heap task once nothing can reach it: finished, and its handle
 * released.  Finished tasks are never queued, so no queue points to it. */
static void task_collect(async_task *t) {
    const unsigned all =
        ASYNC__TASK_HEAP | ASYNC__TASK_DONE | ASYNC__TASK_RELEASED;

    if ((t->flags & all) == all)
        async__task_mem_free(t);
}

async_task *async__task_new(const async__fn *fn, size_t frame_size) {
    async_task *t;
    size_t result_size = fn->result_size;

    assert(result_size <= frame_size &&
           fn->result_offset <= frame_size - result_size);
    if (frame_size > SIZE_MAX / 2) {
        errno = ENOMEM;
        return NULL;
    }
    /* A frame right after the header is 8-byte aligned: one that needs
     * more (long double, max_align_t...) lives apart, as large ones do. */
    if (frame_size <= SPLIT_MIN && fn->frame_align != 0 &&
        fn->frame_align <= 8) {
        t = async__task_mem_alloc(sizeof *t + frame_size);
        if (t == NULL)
            return NULL;
    } else {
        void *frame = malloc(frame_size);

        /* Rounded to 16: the kept result may be of any type. */
        size_t size = (ASYNC__SPLIT_RESULT + result_size + 15) & ~(size_t)15;

        t = frame != NULL ? async__task_mem_alloc(size) : NULL;
        if (t == NULL) {
            free(frame);
            errno = ENOMEM;
            return NULL;
        }
        *(void **)(void *)(t + 1) = frame;
        t->flags |= ASYNC__TASK_SPLIT;
    }
    task_init(t, fn);
    return t;
}

int async_task_done(const async_task *t) {
    return t != NULL && (t->flags & ASYNC__TASK_DONE) != 0;
}

void async_task_release(async_task *t) {
    if (t == NULL)
        return;
    assert((t->flags & ASYNC__TASK_HEAP) && "only spawned tasks have handles");
    assert(!(t->flags & ASYNC__TASK_RELEASED) && "handle released twice");
    t->flags |= ASYNC__TASK_RELEASED;
    task_collect(t);
}

void async__task_finish(async_task *t) {
    async__waiter *w = async__waiters_take(t);

    if (t->flags & ASYNC__TASK_SPLIT) {
        /* Nothing refers to a finished frame: keep the result only. */
        void *frame = async__split_frame(t);

        memmove((char *)t + ASYNC__SPLIT_RESULT,
                (char *)frame + t->fn->result_offset, t->fn->result_size);
        free(frame);
    }
    t->flags |= ASYNC__TASK_DONE;
    t->flags &= ~ASYNC__TASK_CANCEL; /* too late: dropped */
    /* Each waiter node lives in a joiner's frame, which may be gone once
     * the joiner runs again: they were all unlinked before anything else. */
    while (w != NULL) {
        async__waiter *next = w->next;

        w->next = NULL;
        w->on_done(w, t);
        w = next;
    }
    task_collect(t);
}

int async_cancel(async_task *t) {
    if (t == NULL)
        return ASYNC_EINVAL;
    if (t->flags & ASYNC__TASK_DONE)
        return 0;
    /* Seen by the awaitable the task waits in when it is next polled;
     * waking the running task itself just polls it once more. */
    t->flags |= ASYNC__TASK_CANCEL;
    async__wake(t);
    return 1;
}

int async_task_error(const async_task *t) {
    if (t == NULL)
        return ASYNC_EINVAL;
    return (t->flags & ASYNC__TASK_DONE) ? t->error : 0;
}

static void contract_violation(const char *what, const async_task *t,
                               size_t size) {
    fputs("asyncrt: async_task_result: ", stderr);
    if (t == NULL)
        fputs("the task handle is NULL\n", stderr);
    else if (size == 0)
        fprintf(stderr, "task '%s' %s\n", async__task_name(t), what);
    else
        fprintf(stderr, "task '%s' %s (%u bytes), not %zu bytes\n",
                async__task_name(t), what, (unsigned)t->fn->result_size, size);
    abort();
}

void *async__task_result(async_task *t, size_t size) {
    if (t == NULL)
        contract_violation(NULL, t, 0);
    if (!(t->flags & ASYNC__TASK_DONE))
        contract_violation("has not finished", t, 0);
    if (t->fn->result_kind == ASYNC__RESULT_NONE)
        contract_violation("returns void: it has no result", t, 0);
    if (size != t->fn->result_size)
        contract_violation("has a result of another size", t, size);
    return async__task_result_at(t);
}

/* The finished task's result as await(t) sees it: integers converted to
 * int (as C converts them), anything else 0. */
static int join_value(const async_task *t) {
    const char *p = async__task_result_at((async_task *)t);

    if (t->fn->result_kind == ASYNC__RESULT_SIGNED) {
        int8_t i8;
        int16_t i16;
        int32_t i32;
        int64_t i64;

        switch (t->fn->result_size) {
        case 1:
            memcpy(&i8, p, 1);
            return i8;
        case 2:
            memcpy(&i16, p, 2);
            return i16;
        case 4:
            memcpy(&i32, p, 4);
            return (int)i32;
        case 8:
            memcpy(&i64, p, 8);
            return (int)i64;
        }
    } else if (t->fn->result_kind == ASYNC__RESULT_UNSIGNED) {
        uint8_t u8;
        uint16_t u16;
        uint32_t u32;
        uint64_t u64;

        switch (t->fn->result_size) {
        case 1:
            memcpy(&u8, p, 1);
            return u8;
        case 2:
            memcpy(&u16, p, 2);
            return u16;
        case 4:
            memcpy(&u32, p, 4);
            return (int)u32;
        case 8:
            memcpy(&u64, p, 8);
            return (int)u64;
        }
    }
    return 0;
}

/* What a joined task's end does for a join: wakes the joining task. */
static void joiner_done(async__waiter *node, async_task *t) {
    (void)t;
    async__wake(((async__joiner *)node)->task); /* node is its first field */
}

static void joiner_init(async__joiner *j, async_task *t) {
    j->node.on_done = joiner_done;
    j->node.next = NULL;
    j->node.of = t;
    j->task = NULL;
}

/* async_join__init and a join of a finished task are inline (async.h's
 * fast paths); async__join_slow is every case. */

/* Puts the current task's node `j` at the end of t's list of waiters,
 * so that joiners wake in the order they started waiting. */
static void waiter_append(async_task *t, async__joiner *j) {
    j->node.on_done = joiner_done; /* an inline init leaves it unset */
    j->task = async__running;
    async__waiter_link(t, &j->node, 1);
}

/* States: 0 = not started; 1 = waiting on t's waiter list; -1 = done.
 * A join that has to wait checks for cancellation first, and again on
 * every poll while it waits, even when t has finished meanwhile.  A join
 * of a finished task returns at once: its result, or its error. */
int async__join_slow(void *frame) {
    struct async_join__frame *f = frame;
    async_task *t = f->waiter.node.of;

    switch (f->_state) {
    case 0:
        if (t == NULL) {
            /* async_spawn returns NULL when out of memory. */
            f->_state = -1;
            return async__raise(ASYNC_EINVAL);
        }
        if (t->flags & ASYNC__TASK_DONE)
            break;
        assert(async__running != NULL && "async_join outside a task");
        if (async__cancel_seen()) {
            f->_state = -1;
            return ASYNC__FAILED;
        }
        waiter_append(t, &f->waiter);
        f->_state = 1;
        return ASYNC__PENDING;
    case 1:
        if (async__cancel_seen()) {
            /* t goes on; only this join stops waiting for it. */
            async__waiter_unlink(&f->waiter.node);
            f->_state = -1;
            return ASYNC__FAILED;
        }
        /* A spurious poll: the waiter node stays on t's list. */
        if (!(t->flags & ASYNC__TASK_DONE))
            return ASYNC__PENDING;
        break;
    default:
        return ASYNC__READY;
    }
    f->_state = -1;
    if (t->error < 0)
        return async__raise(t->error);
    f->_ret = join_value(t);
    return ASYNC__READY;
}

void async__join_cancel__init(struct async__join_cancel__frame *f,
                              async_task *t) {
    f->_state = 0;
    joiner_init(&f->waiter, t);
    f->_ret = 0;
}

/* States of async__join_cancel besides 0 and -1. */
enum { JOINING = 1, STOPPING = 2 };

/* Like async_join, except that a cancellation is passed on to t (again
 * at every further cancellation, for a t that caught the first), and the
 * join keeps waiting until t has finished (state STOPPING): then it
 * fails with ASYNC_ECANCELED whatever t's outcome. */
int async__join_cancel__resume(void *frame) {
    struct async__join_cancel__frame *f = frame;
    async_task *t = f->waiter.node.of;
    int stopping;

    switch (f->_state) {
    case 0:
        if (t == NULL) {
            f->_state = -1;
            return async__raise(ASYNC_EINVAL);
        }
        if (t->flags & ASYNC__TASK_DONE)
            break;
        assert(async__running != NULL && "async_wait_for outside a task");
        waiter_append(t, &f->waiter);
        f->_state = JOINING;
        /* A cancellation already requested applies now. */
        /* fall through */
    case JOINING:
    case STOPPING:
        if (async__cancel_seen()) {
            async__take_error(); /* not failing yet: t must stop first */
            f->_state = STOPPING;
            async_cancel(t);
        }
        if (!(t->flags & ASYNC__TASK_DONE))
            return ASYNC__PENDING;
        break;
    default:
        return ASYNC__READY;
    }
    stopping = f->_state == STOPPING;
    f->_state = -1;
    if (stopping)
        return async__raise(ASYNC_ECANCELED);
    if (t->error < 0)
        return async__raise(t->error);
    f->_ret = join_value(t);
    return ASYNC__READY;
}
