/*
 * test_loop.c -- the scheduler: ready-queue order, passes, deadlock and
 * re-entrancy errors, pending tasks cancelled when the main call returns
 * (their cleanup runs; one stuck for ever is destroyed), repeated runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"
#include "io.h"

static async int yielder(int id, int n) {
    for (int i = 0; i < n; i++) {
        event(id);
        await(async_sleep(0));
    }
    return n;
}

static async int sleeper(int id, double seconds) {
    event(id);
    await(async_sleep(seconds));
    event(SLEEPER_END + id);
    return id;
}

/* Spawns yielder(1, rounds) to yielder(n, rounds), then waits for each
 * in turn; evaluates to the sum of their results. */
static async int spawn_join(int n, int rounds) {
    async_task *t[8];
    int sum = 0;

    for (int i = 0; i < n; i++)
        t[i] = async_spawn(yielder(i + 1, rounds));
    for (int i = 0; i < n; i++) {
        sum += await(t[i]);
        async_task_release(t[i]);
    }
    return sum;
}

static int setup(void **state) {
    (void)state;
    events_reset();
    return 0;
}

/* Tasks are polled in the order they were woken, and a task that wakes
 * itself during a pass is polled again only on the next pass. */
static void test_ready_queue_is_fifo(void **state) {
    static const int want[] = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5};

    (void)state;
    assert_int_equal(async_run(spawn_join(5, 3)), 5 * 3);
    assert_events(want, 15);
}

/* async_sleep(0) yields: two tasks take turns. */
static void test_sleep_zero_interleaves(void **state) {
    static const int want[] = {1, 2, 1, 2, 1, 2, 1, 2};

    (void)state;
    assert_int_equal(async_run(spawn_join(2, 4)), 2 * 4);
    assert_events(want, 8);
}

static void test_root_completing_at_once(void **state) {
    (void)state;
    assert_int_equal(async_run(yielder(1, 0)), 0);
    assert_int_equal(n_events, 0);
}

/* stuck is frames.h's hand-written frame that never arranges to be
 * woken; run here by hand to see that it was polled once (_state 1). */
static void test_deadlock_root(void **state) {
    struct stuck__frame f;

    (void)state;
    stuck__init(&f);
    errno = 0;
    assert_int_equal(RUN(stuck, &f), -EDEADLK);
    assert_int_equal(errno, EDEADLK);
    assert_int_equal(f._state, 1);
}

/* A task that waits for nothing (asyncc spawns only functions defined
 * in the file, so this one awaits frames.h's stuck). */
static async int stuck_task(void) { return await(stuck()); }

static async int join_stuck(void) {
    async_task *t = async_spawn(stuck_task());

    return await(t);
}

/* The root waits for a task that waits for nothing: a deadlock, found
 * once the queue is empty and no timer is armed.  The pending task is
 * freed (the leak checkers watch this). */
static void test_deadlock_through_join(void **state) {
    (void)state;
    errno = 0;
    assert_int_equal(async_run(join_stuck()), -1);
    assert_int_equal(errno, EDEADLK);
    /* The loop is usable again afterwards. */
    assert_int_equal(async_run(spawn_join(2, 1)), 2);
}

/* async_run called from inside the loop, by the async function nested
 * below (asyncc refuses async_run in an async function, so a plain
 * function makes the call): what that run returned and the errno it
 * set. */
static int nested_rc, nested_err;

static void run_inner(void) {
    errno = 0;
    nested_rc = async_run(yielder(1, 1));
    nested_err = errno;
}

static async int nested(void) {
    run_inner();
    return 0;
}

static void test_nested_run_is_busy(void **state) {
    (void)state;
    assert_int_equal(async_run(nested()), 0);
    assert_int_equal(nested_rc, -1);
    assert_int_equal(nested_err, EBUSY);
    /* The inner yielder was never polled: it logs its id when it is. */
    assert_int_equal(n_events, 0);
}

/* async__current() names the task being polled, and only while polling:
 * what the root and its child saw. */
static async_task *root_seen, *child, *child_seen;
static int same_task_on_resume;

static async void child_whoami(void) { child_seen = async__current(); }

static async int whoami(void) {
    int r;

    root_seen = async__current();
    child = async_spawn(child_whoami());
    r = await(child);
    same_task_on_resume = async__current() == root_seen;
    return r;
}

static void test_current(void **state) {
    (void)state;
    assert_null(async__current());
    root_seen = child = child_seen = NULL;
    same_task_on_resume = 0;
    assert_int_equal(async_run(whoami()), 0); /* a void task joins as 0 */
    assert_null(async__current());
    assert_non_null(root_seen);
    assert_ptr_equal(child_seen, child);
    assert_ptr_not_equal(child_seen, root_seen);
    assert_true(same_task_on_resume);
}

static async int leave_behind(void) {
    async_spawn(sleeper(1, 10.0));
    async_spawn(yielder(2, 1000));
    await(async_sleep(0));
    return 0;
}

/* When the root completes, what was ready runs one more pass (the
 * yielder's second 2), then the pending tasks are cancelled, as
 * asyncio.run does: neither the 10 s sleep nor the busy yielder keeps
 * async_run from returning (their sleeps fail, so no SLEEPER_END + 1
 * and no third 2), and the next run starts with an empty queue and no
 * timers. */
static void test_pending_tasks_cancelled(void **state) {
    static const int want[] = {1, 2, 2, 3, 103};
    double start = async_time();

    (void)state;
    assert_int_equal(async_run(leave_behind()), 0);
    assert_true(async_time() - start < 1.0);
    assert_int_equal(async_run(sleeper(3, 0.001)), 3);
    assert_events(want, 5);
}

enum { CAUGHT = 200, CLEANED = 300, HELPER = 400, NEVER = 500 };

static async void helper(int id) {
    event(HELPER + id);
    await(async_sleep(0.001));
    event(HELPER + id + 1);
}

/* Catches the cancellation of its sleep, then cleans up for `cleanup`
 * seconds, with a helper task it spawns and joins, before it fails. */
static async int cleans_up(int id, double cleanup) {
    int err;

    event(id);
    async_try(await(async_sleep(10)), &err);
    event(CAUGHT + id);
    await(async_sleep(cleanup));
    await(async_spawn(helper(id * 10)));
    event(CLEANED + id);
    if (err)
        async_raise(err);
    return id;
}

static async void never(int id) { event(NEVER + id); }

static async int leave_cleaners(void) {
    async_spawn(cleans_up(1, 0.02));
    async_spawn(cleans_up(2, 0));
    await(async_sleep(0));
    async_cancel(async_spawn(never(1))); /* cancelled before it started */
    async_spawn(never(2));               /* ready when the main call returns */
    return 42;
}

/* The task spawned by the main call's last step takes its step in the
 * pass after (as in asyncio.run); then the cancelled tasks' cleanup runs
 * to its end, awaits (a 20 ms sleep) and tasks it spawns included; the
 * task cancelled before it started never runs; the result is the main
 * call's. */
static void test_pending_cleanup_runs(void **state) {
    static const int want[] = {1,           2,           NEVER + 2,
                               CAUGHT + 1,  CAUGHT + 2,  HELPER + 20,
                               HELPER + 21, CLEANED + 2, HELPER + 10,
                               HELPER + 11, CLEANED + 1};
    double start = async_time();

    (void)state;
    assert_int_equal(async_run(leave_cleaners()), 42);
    assert_true(async_time() - start >= 0.02);
    assert_events(want, 11);
}

static async_event never_set;

/* Catches its cancellation, then waits for an event nobody sets. */
static async int stubborn(int id) {
    int err;

    event(id);
    async_try(await(async_sleep(10)), &err);
    event(CAUGHT + id);
    await(async_event_wait(&never_set));
    event(CLEANED + id);
    return id;
}

static async int leave_stubborn(void) {
    async_spawn(stubborn(1));
    async_spawn(cleans_up(2, 0.01));
    await(async_sleep(0));
    return 7;
}

/* A cancelled task that can never finish does not hang the run: once
 * nothing can wake it, it is destroyed with a line on stderr, after the
 * others' cleanup, and the result is still the main call's. */
static void test_stuck_after_cancel(void **state) {
    static const int want[] = {1,           2,           CAUGHT + 1, CAUGHT + 2,
                               HELPER + 20, HELPER + 21, CLEANED + 2};
    char path[] = "/tmp/asyncrt-test-XXXXXX";
    char text[512] = {0};
    int fd = mkstemp(path), saved = dup(2);
    ssize_t n;

    (void)state;
    assert_true(fd >= 0 && saved >= 0);
    unlink(path);
    async_event_init(&never_set);
    fflush(stderr);
    dup2(fd, 2);
    int rc = async_run(leave_stubborn());
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, text, sizeof(text) - 1, 0);
    close(fd);
    assert_int_equal(rc, 7);
    assert_events(want, 7);
    assert_true(n > 0);
    assert_string_equal(text,
                        "asyncrt: task 'stubborn' did not finish after its "
                        "cancellation at the end of async_run, and nothing "
                        "can wake it: destroyed\n");
    /* The next run starts clean. */
    assert_int_equal(async_run(sleeper(3, 0.001)), 3);
}

/* sleeper's spawner, which asyncc generates (leave_behind spawns a
 * sleeper) and declares where sleeper is defined: the dialect refuses
 * async_spawn outside a task, and the next test starts one before the
 * loop runs. */
#ifdef __ASYNCC__
async_task *sleeper__spawn(int id, double seconds);
#endif

/* A task started before async_run waits in the queue and is polled by the
 * next run, ahead of the root. */
static void test_task_started_before_run(void **state) {
    async_task *t;
    static const int want[] = {7, 8, 107, 108};

    (void)state;
    t = sleeper__spawn(7, 0);
    assert_non_null(t);
    assert_false(async_task_done(t));
    assert_int_equal(async_run(sleeper(8, 0.002)), 8);
    assert_events(want, 4);
}

/* A frame that breaks the convention: it wakes its own task and then
 * completes.  The loop must not keep the finished (and freed) task
 * queued.  Hand-written: generated code never does this. */
static int wake_then_finish__resume(void *frame) {
    struct stuck__frame *f = frame;

    async__wake(async__current());
    async__wake(async__current());
    event(50);
    f->_state = -1;
    return ASYNC__READY;
}

/* Starts a wake_then_finish task and releases it. */
static void spawn_wake_then_finish(void) {
    async_task *t =
        test_task_new(sizeof(struct stuck__frame), wake_then_finish__resume,
                      "wake_then_finish", 0, 0, ASYNC__RESULT_NONE);

    assert_non_null(t);
    stuck__init(async__task_frame(t));
    async__task_start(t);
    async_task_release(t);
}

/* Three such tasks, then three more passes of the loop in which they
 * would be polled again if they were still queued. */
static async int self_waker_root(void) {
    for (int i = 0; i < 3; i++)
        spawn_wake_then_finish();
    for (int i = 0; i < 3; i++)
        await(async_sleep(0));
    return 0;
}

static void test_task_waking_itself_then_finishing(void **state) {
    static const int want[] = {50, 50, 50};

    (void)state;
    assert_int_equal(async_run(self_waker_root()), 0);
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
        cmocka_unit_test_setup(test_pending_tasks_cancelled, setup),
        cmocka_unit_test_setup(test_pending_cleanup_runs, setup),
        cmocka_unit_test_setup(test_stuck_after_cancel, setup),
        cmocka_unit_test_setup(test_task_started_before_run, setup),
        cmocka_unit_test_setup(test_task_waking_itself_then_finishing, setup),
        cmocka_unit_test(test_io_wait),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
