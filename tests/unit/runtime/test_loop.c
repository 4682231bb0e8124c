/*
 * test_loop.c -- the scheduler: ready-queue order, passes, deadlock and
 * re-entrancy errors, cleanup of pending tasks, repeated runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define FRAMES_HAND_WRITTEN

#include "frames.h"
#include "internal.h"
#include "io.h"

/*
 * async int spawn_join(int n, int rounds) {
 *     async_task *t[8];
 *     for (int i = 0; i < n; i++)
 *         t[i] = async_spawn(yielder(i + 1, rounds));
 *     for (int i = 0; i < n; i++) {
 *         sum += await(t[i]);
 *         async_task_release(t[i]);
 *     }
 *     return sum;
 * }
 */
struct spawn_join__frame {
    int _state;
    int n;
    int rounds;
    async_task *t[8];
    int i;
    int sum;
    struct async_join__frame _a1;
    int _ret;
};

static void spawn_join__init(struct spawn_join__frame *f, int n, int rounds) {
    f->_state = 0;
    f->n = n;
    f->rounds = rounds;
}

static int spawn_join__resume(void *frame) {
    struct spawn_join__frame *f = frame;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    f->sum = 0;
    for (f->i = 0; f->i < f->n; f->i++)
        f->t[f->i] = spawn_yielder(f->i + 1, f->rounds);
    for (f->i = 0; f->i < f->n; f->i++) {
        async_join__init(&f->_a1, f->t[f->i]);
        f->_state = 1;
    await1:
        if (async_join__resume(&f->_a1) == ASYNC__PENDING)
            return ASYNC__PENDING;
        f->sum += f->_a1._ret;
        async_task_release(f->t[f->i]);
    }
    f->_ret = f->sum;
    f->_state = -1;
    return ASYNC__READY;
}

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

/* Tasks are polled in the order they were woken, and a task that wakes
 * itself during a pass is polled again only on the next pass. */
static void test_ready_queue_is_fifo(void **state) {
    struct spawn_join__frame f;
    static const int want[] = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5};

    (void)state;
    spawn_join__init(&f, 5, 3);
    assert_int_equal(RUN(spawn_join, &f), 0);
    assert_int_equal(f._state, -1);
    assert_int_equal(f._ret, 5 * 3);
    assert_events(want, 15);
}

/* async_sleep(0) yields: two tasks take turns. */
static void test_sleep_zero_interleaves(void **state) {
    struct spawn_join__frame f;
    static const int want[] = {1, 2, 1, 2, 1, 2, 1, 2};

    (void)state;
    spawn_join__init(&f, 2, 4);
    assert_int_equal(RUN(spawn_join, &f), 0);
    assert_events(want, 8);
}

static void test_root_completing_at_once(void **state) {
    struct yielder__frame f;

    (void)state;
    yielder__init(&f, 1, 0);
    assert_int_equal(RUN(yielder, &f), 0);
    assert_int_equal(f._state, -1);
    assert_int_equal(f._ret, 0);
    assert_int_equal(n_events, 0);
}

static void test_deadlock_root(void **state) {
    struct stuck__frame f;

    (void)state;
    stuck__init(&f);
    errno = 0;
    assert_int_equal(RUN(stuck, &f), -EDEADLK);
    assert_int_equal(errno, EDEADLK);
    assert_int_equal(f._state, 1);
}

/*
 * async int join_stuck(void) {
 *     async_task *t = async_spawn(stuck());
 *     return await(t);
 * }
 */
struct join_stuck__frame {
    int _state;
    async_task *t;
    struct async_join__frame _a1;
    int _ret;
};

static int join_stuck__resume(void *frame) {
    struct join_stuck__frame *f = frame;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    f->t = spawn_stuck();
    async_join__init(&f->_a1, f->t);
    f->_state = 1;
await1:
    if (async_join__resume(&f->_a1) == ASYNC__PENDING)
        return ASYNC__PENDING;
    f->_ret = f->_a1._ret;
    f->_state = -1;
    return ASYNC__READY;
}

/* The root waits for a task that waits for nothing: a deadlock, found
 * once the queue is empty and no timer is armed.  The pending task is
 * freed (the leak checkers watch this). */
static void test_deadlock_through_join(void **state) {
    struct join_stuck__frame f = {0};

    (void)state;
    errno = 0;
    assert_int_equal(RUN(join_stuck, &f), -EDEADLK);
    assert_int_equal(errno, EDEADLK);
    /* The loop is usable again afterwards. */
    {
        struct spawn_join__frame g;

        spawn_join__init(&g, 2, 1);
        assert_int_equal(RUN(spawn_join, &g), 0);
        assert_int_equal(g._ret, 2);
    }
}

/*
 * int nested(void) -- an async function that calls async_run from inside
 * the loop.
 */
struct nested__frame {
    int _state;
    int rc;
    int err;
    struct yielder__frame inner;
    int _ret;
};

static int nested__resume(void *frame) {
    struct nested__frame *f = frame;

    yielder__init(&f->inner, 1, 1);
    errno = 0;
    f->rc = RUN(yielder, &f->inner);
    f->err = errno;
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

static void test_nested_run_is_busy(void **state) {
    struct nested__frame f = {0};

    (void)state;
    assert_int_equal(RUN(nested, &f), 0);
    assert_int_equal(f.rc, -EBUSY);
    assert_int_equal(f.err, EBUSY);
    /* The inner frame was never polled. */
    assert_int_equal(f.inner._state, 0);
    assert_int_equal(n_events, 0);
}

/* async__current() names the task being polled, and only while polling. */
struct whoami__frame {
    int _state;
    async_task *root_seen;
    async_task *child;
    async_task *child_seen;
    int same_task_on_resume;
    struct async_join__frame _a1;
    int _ret;
};

static async_task *child_seen;

static int child_whoami__resume(void *frame) {
    struct stuck__frame *f = frame;

    child_seen = async__current();
    f->_state = -1;
    return ASYNC__READY;
}

static int whoami__resume(void *frame) {
    struct whoami__frame *f = frame;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    f->root_seen = async__current();
    f->child = test_task_new(sizeof(struct stuck__frame), child_whoami__resume,
                             "child", 0, 0, ASYNC__RESULT_NONE);
    stuck__init(async__task_frame(f->child));
    async__task_start(f->child);
    async_join__init(&f->_a1, f->child);
    f->_state = 1;
await1:
    if (async_join__resume(&f->_a1) == ASYNC__PENDING)
        return ASYNC__PENDING;
    f->same_task_on_resume = async__current() == f->root_seen;
    f->child_seen = child_seen;
    f->_ret = f->_a1._ret;
    f->_state = -1;
    return ASYNC__READY;
}

static void test_current(void **state) {
    struct whoami__frame f = {0};

    (void)state;
    assert_null(async__current());
    assert_int_equal(RUN(whoami, &f), 0);
    assert_null(async__current());
    assert_non_null(f.root_seen);
    assert_ptr_equal(f.child_seen, f.child);
    assert_ptr_not_equal(f.child_seen, f.root_seen);
    assert_true(f.same_task_on_resume);
    assert_int_equal(f._ret, 0); /* a void task joins as 0 */
}

/*
 * async int leave_behind(void) {
 *     async_spawn(sleeper(1, 10.0));
 *     async_spawn(yielder(2, 1000));
 *     await(async_sleep(0));
 *     return 0;
 * }
 */
struct leave_behind__frame {
    int _state;
    struct async_sleep__frame _a1;
    int _ret;
};

static int leave_behind__resume(void *frame) {
    struct leave_behind__frame *f = frame;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    spawn_sleeper(1, 10.0);
    spawn_yielder(2, 1000);
    async_sleep__init(&f->_a1, 0);
    f->_state = 1;
await1:
    if (async_sleep__resume(&f->_a1) == ASYNC__PENDING)
        return ASYNC__PENDING;
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

/* When the root completes, pending tasks are destroyed at once: neither
 * the 10 s timer nor the busy yielder keeps async_run from returning, and
 * the next run starts with an empty queue and no timers. */
static void test_pending_tasks_destroyed(void **state) {
    struct leave_behind__frame f = {0};
    struct sleeper__frame g;
    static const int want[] = {1, 2, 3, 103};
    double start = async_time();

    (void)state;
    assert_int_equal(RUN(leave_behind, &f), 0);
    assert_true(async_time() - start < 1.0);
    sleeper__init(&g, 3, 0.001);
    assert_int_equal(RUN(sleeper, &g), 0);
    assert_events(want, 4);
}

/* A task started before async_run waits in the queue and is polled by the
 * next run, ahead of the root. */
static void test_task_started_before_run(void **state) {
    struct sleeper__frame g;
    async_task *t;
    static const int want[] = {7, 8, 107, 108};

    (void)state;
    t = spawn_sleeper(7, 0);
    assert_non_null(t);
    assert_false(async_task_done(t));
    sleeper__init(&g, 8, 0.002);
    assert_int_equal(RUN(sleeper, &g), 0);
    assert_events(want, 4);
}

/* A frame that breaks the convention: it wakes its own task and then
 * completes.  The loop must not keep the finished (and freed) task
 * queued. */
static int wake_then_finish__resume(void *frame) {
    struct stuck__frame *f = frame;

    async__wake(async__current());
    async__wake(async__current());
    event(50);
    f->_state = -1;
    return ASYNC__READY;
}

static int self_waker_root__resume(void *frame) {
    struct yielder__frame *f = frame;
    async_task *t;

    switch (f->_state) {
    case 0:
        for (int i = 0; i < 3; i++) {
            t = test_task_new(sizeof(struct stuck__frame),
                              wake_then_finish__resume, "wake_then_finish", 0,
                              0, ASYNC__RESULT_NONE);
            stuck__init(async__task_frame(t));
            async__task_start(t);
            async_task_release(t);
        }
        f->_state = 1;
        async__wake(async__current());
        return ASYNC__PENDING;
    case 1:
    case 2:
        f->_state++;
        async__wake(async__current());
        return ASYNC__PENDING;
    default:
        f->_state = -1;
        return ASYNC__READY;
    }
}

static void test_task_waking_itself_then_finishing(void **state) {
    struct yielder__frame f = {0};
    static const int want[] = {50, 50, 50};

    (void)state;
    assert_int_equal(async__run(self_waker_root__resume, &f, "root"), 0);
    assert_events(want, 3);
}

/* The OS wait lasts at least its timeout, with epoll_pwait2 and with
 * the millisecond epoll_wait fallback alike, and closing releases the
 * epoll descriptor. */
static void test_io_wait(void **state) {
    static const uint64_t timeouts[] = {1, 999999, 1500000, 3000000};
    async__io io = {0};

    (void)state;
    for (int fallback = 0; fallback < 2; fallback++) {
        io.no_pwait2 = (unsigned char)fallback;
        for (int i = 0; i < 4; i++) {
            uint64_t start = async__clock_ns();

            async__io_wait(&io, timeouts[i]);
            assert_true(async__clock_ns() - start >= timeouts[i]);
        }
    }
    assert_true(io.open);
    {
        int fd = io.epfd;

        async__io_close(&io);
        assert_false(io.open);
        assert_int_equal(fcntl(fd, F_GETFD), -1);
        async__io_close(&io); /* harmless when closed */
    }
    /* A zero timeout returns at once without creating anything. */
    async__io_wait(&io, 0);
    assert_false(io.open);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ready_queue_is_fifo, setup),
        cmocka_unit_test_setup(test_sleep_zero_interleaves, setup),
        cmocka_unit_test_setup(test_root_completing_at_once, setup),
        cmocka_unit_test_setup(test_deadlock_root, setup),
        cmocka_unit_test_setup(test_deadlock_through_join, setup),
        cmocka_unit_test_setup(test_nested_run_is_busy, setup),
        cmocka_unit_test_setup(test_current, setup),
        cmocka_unit_test_setup(test_pending_tasks_destroyed, setup),
        cmocka_unit_test_setup(test_task_started_before_run, setup),
        cmocka_unit_test_setup(test_task_waking_itself_then_finishing, setup),
        cmocka_unit_test(test_io_wait),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
