/*
 * frames.h -- hand-written async functions for the runtime tests, in the
 * frame convention asyncc generates: a frame struct whose _state is 0
 * before the first resume and -1 once done, NAME__init, and NAME__resume
 * switching on _state to the await it suspended at.  Each frame shows the
 * dialect source it stands for.  A failed await (ASYNC__FAILED: a
 * cancelled sleep, a failed join) fails the frame too, as generated code
 * does: it leaves through `exit` with _state = -1.
 *
 * Also an event log: frames append numbers to it, and tests check the
 * order in which things happened.  Include <cmocka.h> first.
 */
#ifndef RUNTIME_TEST_FRAMES_H
#define RUNTIME_TEST_FRAMES_H

#include "internal.h"
#include <async.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { EVENTS_MAX = 512 };

static int events[EVENTS_MAX];
static int n_events;

static inline void event(int v) {
    if (n_events < EVENTS_MAX)
        events[n_events++] = v;
}

static inline void events_reset(void) {
    n_events = 0;
    memset(events, 0, sizeof(events));
}

/* The log holds exactly want[0..n-1]. */
static inline void assert_events(const int *want, int n) {
    assert_int_equal(n_events, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(events[i], want[i]);
}

/* Events for sleeper(id): id when it starts, SLEEPER_END + id when its
 * sleep has finished. */
enum { SLEEPER_END = 100 };

/* The hand-written yielder, sleeper and failer below are for the files
 * not yet written in the dialect, which define FRAMES_HAND_WRITTEN before
 * including this header; the others define these async functions
 * themselves (asyncc transpiles the async functions of the file it is
 * given, not those of the headers it includes). */
#ifdef FRAMES_HAND_WRITTEN
#ifdef __ASYNCC__
/* For code in the dialect in those files (see stuck below). */
async int yielder(int id, int n);
async int sleeper(int id, double seconds);
async int failer(int id, double seconds, int code);
#endif
/*
 * async int yielder(int id, int n) {
 *     for (int i = 0; i < n; i++) {
 *         event(id);
 *         await(async_sleep(0));
 *     }
 *     return n;
 * }
 */
struct yielder__frame {
    int _state;
    int id;
    int n;
    int i;
    struct async_sleep__frame _a1;
    int _ret;
};

static inline void yielder__init(struct yielder__frame *f, int id, int n) {
    f->_state = 0;
    f->id = id;
    f->n = n;
}

static inline int yielder__resume(void *frame) {
    struct yielder__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    for (f->i = 0; f->i < f->n; f->i++) {
        event(f->id);
        async_sleep__init(&f->_a1, 0);
        f->_state = 1;
    await1:
        if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
            goto exit;
    }
    f->_ret = f->n;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/*
 * async int sleeper(int id, double seconds) {
 *     event(id);
 *     await(async_sleep(seconds));
 *     event(SLEEPER_END + id);
 *     return id;
 * }
 */
struct sleeper__frame {
    int _state;
    int id;
    double seconds;
    struct async_sleep__frame _a1;
    int _ret;
};

static inline void sleeper__init(struct sleeper__frame *f, int id,
                                 double seconds) {
    f->_state = 0;
    f->id = id;
    f->seconds = seconds;
}

static inline int sleeper__resume(void *frame) {
    struct sleeper__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    event(f->id);
    async_sleep__init(&f->_a1, f->seconds);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    event(SLEEPER_END + f->id);
    f->_ret = f->id;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/*
 * async int failer(int id, double seconds, int code) {
 *     event(id);
 *     await(async_sleep(seconds));
 *     event(SLEEPER_END + id);
 *     if (code != 0)
 *         async_raise(code);
 *     return id;
 * }
 */
struct failer__frame {
    int _state;
    int id;
    double seconds;
    int code;
    struct async_sleep__frame _a1;
    int _ret;
};

static inline void failer__init(struct failer__frame *f, int id, double seconds,
                                int code) {
    f->_state = 0;
    f->id = id;
    f->seconds = seconds;
    f->code = code;
}

static inline int failer__resume(void *frame) {
    struct failer__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    event(f->id);
    async_sleep__init(&f->_a1, f->seconds);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY)
        goto exit;
    event(SLEEPER_END + f->id);
    if (f->code != 0) {
        r = async__raise(f->code);
        goto exit;
    }
    f->_ret = f->id;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

#endif /* FRAMES_HAND_WRITTEN */

/* Not something asyncc generates: a frame that suspends without
 * arranging to be woken, so whoever waits for it waits forever.  Code in
 * the dialect awaits, gathers and spawns it like the runtime's own async
 * functions: asyncc sees the declaration below and the frame type, so it
 * embeds the frame and calls stuck__init and stuck__resume. */
#ifdef __ASYNCC__
async int stuck(void);
#endif
struct stuck__frame {
    int _state;
    int _ret;
};

static inline void stuck__init(struct stuck__frame *f) { f->_state = 0; }

static inline int stuck__resume(void *frame) {
    struct stuck__frame *f = frame;

    f->_state = 1;
    return ASYNC__PENDING;
}

static inline void heap_task_counted(async_task *t, int is_root, void *arg) {
    (void)t;
    *(int *)arg += !is_root;
}

/* Inside the loop: the spawned tasks not freed yet (async_run frees the
 * rest when it returns, so this is where a handle not released shows). */
static inline int count_heap_tasks(void) {
    int n = 0;

    async__loop_each_task(heap_task_counted, &n);
    return n;
}

/* async__task_new for a test's hand-written frames, with the function's
 * description given field by field.  Descriptions must outlive their
 * tasks: each distinct one is kept in a table for the program's life. */
static inline async_task *test_task_new(size_t frame_size, async__poll_fn poll,
                                        const char *name, size_t result_offset,
                                        size_t result_size, int result_kind) {
    static async__fn fns[64];
    static unsigned nfns;
    unsigned i;

    for (i = 0; i < nfns; i++)
        if (fns[i].poll == poll && fns[i].name == name &&
            fns[i].result_offset == result_offset &&
            fns[i].result_size == result_size &&
            fns[i].result_kind == result_kind)
            break;
    if (i == nfns) {
        if (nfns == sizeof fns / sizeof fns[0])
            abort();
        fns[nfns].poll = poll;
        fns[nfns].name = name;
        fns[nfns].result_offset = (uint32_t)result_offset;
        fns[nfns].result_size = (uint32_t)result_size;
        fns[nfns].result_kind = (uint8_t)result_kind;
        /* Hand-written frames hold nothing aligned to more than 8 bytes;
         * 0 would ask for any type's alignment, which a frame gets only
         * apart from its task. */
        fns[nfns].frame_align = 8;
        nfns++;
    }
    return async__task_new(&fns[i], frame_size);
}

/* spawn_NAME(args...) does what asyncc generates for
 * async_spawn(NAME(args...)) when NAME returns int. */
#define DEFINE_SPAWN_INT(name, params, args)                                   \
    static inline async_task *spawn_##name params {                            \
        async_task *t =                                                        \
            test_task_new(sizeof(struct name##__frame), name##__resume, #name, \
                          offsetof(struct name##__frame, _ret), sizeof(int),   \
                          ASYNC__RESULT_SIGNED);                               \
        if (t != NULL) {                                                       \
            name##__init args;                                                 \
            async__task_start(t);                                              \
        }                                                                      \
        return t;                                                              \
    }

DEFINE_SPAWN_INT(stuck, (void), ((struct stuck__frame *)async__task_frame(t)))
#ifdef FRAMES_HAND_WRITTEN
DEFINE_SPAWN_INT(yielder, (int id, int n),
                 ((struct yielder__frame *)async__task_frame(t), id, n))
DEFINE_SPAWN_INT(sleeper, (int id, double seconds),
                 ((struct sleeper__frame *)async__task_frame(t), id, seconds))
DEFINE_SPAWN_INT(failer, (int id, double seconds, int code),
                 ((struct failer__frame *)async__task_frame(t), id, seconds,
                  code))
#endif

/* Runs the loop with `f` (a struct NAME__frame *) as the root, as the
 * generated NAME__run does. */
#define RUN(name, f) async__run(name##__resume, (f), #name)

#endif /* RUNTIME_TEST_FRAMES_H */
