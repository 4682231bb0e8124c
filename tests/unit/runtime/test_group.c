/*
 * test_group.c -- task groups: the wait completes when every member has
 * finished; the first failure cancels the others and is the wait's code;
 * cancelling the waiting task cancels every member; members added during
 * the wait or already finished; the owner's awaits before the wait
 * interrupted by a failure (the request withdrawn at the wait, an
 * outsider's cancellation kept apart); bad input; handles released
 * (the loop's list of heap tasks is checked, and valgrind and ASan see
 * the rest).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"

/* More events, next to frames.h's id and SLEEPER_END + id. */
/* Heap tasks alive when the waiter saw the wait complete: see
 * count_heap_tasks. */
static int heap_left = -1;

enum {
    CAUGHT = 200,
    WAITED = 300,
    CANCELLING = 400,
    ADDED = 500,
    INTERRUPTED = 600
};

static int setup(void **state) {
    (void)state;
    events_reset();
    heap_left = -1;
    return 0;
}

static async int sleeper(int id, double seconds) {
    event(id);
    await(async_sleep(seconds));
    event(SLEEPER_END + id);
    return id;
}

static async int failer(int id, double seconds, int code) {
    event(id);
    await(async_sleep(seconds));
    event(SLEEPER_END + id);
    if (code != 0)
        async_raise(code);
    return id;
}

static async int raiser(int id, int code) {
    event(id);
    async_raise(code);
    return id;
}

static async int cleaner(int id, double seconds) {
    int err;

    event(id);
    async_try(await(async_sleep(seconds)), &err);
    if (err) {
        event(CAUGHT + id);
        async_raise(err);
    }
    event(SLEEPER_END + id);
    return id;
}

static async int waiter(async_group *g) {
    int err;
    int r = async_try(await(async_group_wait(g)), &err);

    event(WAITED);
    heap_left = count_heap_tasks();
    if (err)
        async_raise(err);
    return r;
}

static async int cancel_after(async_task *t, double seconds) {
    await(async_sleep(seconds));
    event(CANCELLING);
    async_cancel(t);
    return await(t);
}

static async int adder(async_group *g, int id, double seconds) {
    event(id);
    await(async_sleep(seconds));
    event(ADDED + id);
    assert_int_equal(async_group_add(g, async_spawn(sleeper(id + 1, seconds))),
                     0);
    return id;
}

static async int late_add(async_group *g, async_task *t) {
    int err;

    async_try(await(t), &err);
    event(ADDED);
    assert_int_equal(async_group_add(g, t), 0);
    heap_left = count_heap_tasks();
    return await(async_group_wait(g));
}

/* ------------------------------------------------------------------ */

/* A member to spawn and add to the group: sleeper(id, seconds),
 * failer(id, seconds, code) and so on; NO_TASK adds NULL (what
 * async_spawn returns when out of memory), WAITER spawns waiter(g) and
 * releases it.  async_group_add must return `want`; with `no_group` the
 * task is added to a NULL group. */
enum kind { SLEEPER, CLEANER, FAILER, RAISER, ADDER, NO_TASK, WAITER };

struct member {
    enum kind kind;
    int id;
    double seconds;
    int code;
    int want;
    int no_group;
};

/* The group's size once every member was added. */
static int added_size;

/*
 * Spawns and adds the members, then yields once so that they run before
 * the caller goes on, as tasks spawned before the run would.
 */
static async int add_members(async_group *g, const struct member *m, int n) {
    for (int i = 0; i < n; i++) {
        async_task *t = NULL;

        switch (m[i].kind) {
        case SLEEPER:
            t = async_spawn(sleeper(m[i].id, m[i].seconds));
            break;
        case CLEANER:
            t = async_spawn(cleaner(m[i].id, m[i].seconds));
            break;
        case FAILER:
            t = async_spawn(failer(m[i].id, m[i].seconds, m[i].code));
            break;
        case RAISER:
            t = async_spawn(raiser(m[i].id, m[i].code));
            break;
        case ADDER:
            t = async_spawn(adder(g, m[i].id, m[i].seconds));
            break;
        case NO_TASK:
            break;
        case WAITER:
            /* Queued before the caller's wait, so it waits first. */
            async_task_release(async_spawn(waiter(g)));
            continue;
        }
        if (m[i].kind != NO_TASK)
            assert_non_null(t);
        assert_int_equal(async_group_add(m[i].no_group ? NULL : g, t),
                         m[i].want);
    }
    added_size = async_group_size(g);
    await(async_sleep(0));
    return 0;
}

/* The owner's awaits before the wait: a failure there (the group's
 * cancellation of the owner) is caught, noted as INTERRUPTED, and the
 * owner goes on to the wait, as every owner must. */
static void note_interrupted(int err) {
    if (err != 0) {
        assert_int_equal(err, ASYNC_ECANCELED);
        event(INTERRUPTED);
    }
}

/* The members, then waiter(g). */
static async int wait_members(async_group *g, const struct member *m, int n) {
    int err;

    async_try(await(add_members(g, m, n)), &err);
    note_interrupted(err);
    return await(waiter(g));
}

/* The members, then failer(id, seconds, 0), which waits for nothing,
 * then waiter(g). */
static async int run_beside(async_group *g, const struct member *m, int n,
                            int id, double seconds) {
    int err;

    async_try(await(add_members(g, m, n)), &err);
    note_interrupted(err);
    async_try(await(failer(id, seconds, 0)), &err);
    note_interrupted(err);
    return await(waiter(g));
}

/* The members, then a spawned waiter(g), which the caller cancels. */
static async int cancel_waiter(async_group *g, const struct member *m, int n,
                               double after) {
    await(add_members(g, m, n));
    async_task *wt = async_spawn(waiter(g));
    await(async_sleep(0));
    return await(cancel_after(wt, after));
}

/* A failer spawned, then, once it has run, late_add of it. */
static async int add_finished(async_group *g, double seconds, int code) {
    async_task *t = async_spawn(failer(1, seconds, code));

    await(async_sleep(0));
    return await(late_add(g, t));
}

/* async_run's result as a code: 0, or what the run failed with. */
static int code(int r) { return r == -1 ? -errno : r; }

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_all_succeed(void **state) {
    static const struct member m[] = {
        /* 50 ms apart: under valgrind on a loaded machine, the three
         * spawns have been more than 10 ms apart. */
        {SLEEPER, 1, 0.15, 0, 0, 0},
        {SLEEPER, 2, 0.05, 0, 0, 0},
        {SLEEPER, 3, 0.10, 0, 0, 0},
    };
    async_group_member slots[4];
    async_group g;
    (void)state;

    assert_int_equal(async_group_init(&g, slots, 4), 0);
    assert_int_equal(async_run(wait_members(&g, m, N(m))), 0);
    assert_int_equal(added_size, 3);
    assert_int_equal(async_group_size(&g), 0);
    static const int want[] = {
        1, 2, 3, SLEEPER_END + 2, SLEEPER_END + 3, SLEEPER_END + 1, WAITED};
    assert_events(want, 7);
    assert_int_equal(heap_left, 0);
}

static void test_one_fails(void **state) {
    static const struct member m[] = {
        {CLEANER, 1, 10, 0, 0, 0},
        {FAILER, 2, 0.01, -EIO, 0, 0},
        {CLEANER, 3, 10, 0, 0, 0},
    };
    async_group_member slots[3];
    async_group g;
    (void)state;

    async_group_init(&g, slots, 3);
    assert_int_equal(code(async_run(wait_members(&g, m, N(m)))), -EIO);
    /* The others were cancelled in their sleeps, not after 10 s. */
    static const int want[] = {1,          2,          3,     SLEEPER_END + 2,
                               CAUGHT + 1, CAUGHT + 3, WAITED};
    assert_events(want, 7);
    assert_int_equal(heap_left, 0);
}

static void test_first_code_wins(void **state) {
    /* raiser 2 fails first; raiser 3, cancelled before it ever ran,
     * never runs; the owner's yield in add_members is interrupted. */
    static const struct member m[] = {
        {CLEANER, 1, 10, 0, 0, 0},
        {RAISER, 2, 0, -EIO, 0, 0},
        {RAISER, 3, 0, -EPIPE, 0, 0},
    };
    /* Two failures at different times, the later one not cancellable
     * (no await left): the earlier code wins. */
    static const struct member m2[] = {
        {FAILER, 1, 0.02, -EPIPE, 0, 0},
        {FAILER, 2, 0.01, -EIO, 0, 0},
    };
    async_group_member slots[3];
    async_group g;
    (void)state;

    async_group_init(&g, slots, 3);
    assert_int_equal(code(async_run(wait_members(&g, m, N(m)))), -EIO);
    static const int want[] = {1, 2, INTERRUPTED, CAUGHT + 1, WAITED};
    assert_events(want, 5);

    events_reset();
    async_group_init(&g, slots, 3);
    assert_int_equal(code(async_run(wait_members(&g, m2, N(m2)))), -EIO);
    static const int want2[] = {1, 2, SLEEPER_END + 2, WAITED};
    assert_events(want2, 4);
    assert_int_equal(heap_left, 0);
}

static void test_failure_before_wait(void **state) {
    static const struct member m[] = {
        {FAILER, 1, 0.01, -EIO, 0, 0},
        {CLEANER, 2, 10, 0, 0, 0},
    };
    static const struct member m3[] = {{FAILER, 1, 0, -EPIPE, 0, 0}};
    async_group_member slots[2];
    async_group g;
    double start = async_time();
    (void)state;

    /* The failure cancels the other member and interrupts the owner's
     * 500 ms sleep beside, at once; the wait then fails with the
     * member's code, not with the owner's ASYNC_ECANCELED. */
    async_group_init(&g, slots, 2);
    assert_int_equal(code(async_run(run_beside(&g, m, N(m), 3, 0.5))), -EIO);
    static const int want[] = {1,          2,           3,     SLEEPER_END + 1,
                               CAUGHT + 2, INTERRUPTED, WAITED};
    assert_events(want, 7);
    assert_true(async_time() - start < 0.4);
    assert_int_equal(async_group_size(&g), 0);
    assert_int_equal(heap_left, 0);
    /* Nothing left to wait for: the wait fails at once with the code. */
    events_reset();
    async_group_init(&g, slots, 2);
    assert_int_equal(code(async_run(run_beside(&g, m3, N(m3), 3, 0.01))),
                     -EPIPE);
    static const int want3[] = {1, 3, SLEEPER_END + 1, INTERRUPTED, WAITED};
    assert_events(want3, 5);
    assert_int_equal(heap_left, 0);
}

static void test_cancel_waiter(void **state) {
    static const struct member m[] = {
        {CLEANER, 1, 10, 0, 0, 0},
        {CLEANER, 2, 10, 0, 0, 0},
        {SLEEPER, 3, 10, 0, 0, 0},
    };
    async_group_member slots[3];
    async_group g;
    (void)state;

    async_group_init(&g, slots, 3);
    assert_int_equal(code(async_run(cancel_waiter(&g, m, N(m), 0.01))),
                     ASYNC_ECANCELED);
    static const int want[] = {1,          2,          3,     CANCELLING,
                               CAUGHT + 1, CAUGHT + 2, WAITED};
    assert_events(want, 7);
    assert_int_equal(async_group_size(&g), 0);
    /* Only the waiting task itself was left. */
    assert_int_equal(heap_left, 1);
}

static void test_add_during_wait(void **state) {
    static const struct member m[] = {
        {ADDER, 1, 0.05, 0, 0, 0},
        {SLEEPER, 5, 0.075, 0, 0, 0},
    };
    /* A member cancelled by the group's failure adds nothing. */
    static const struct member m2[] = {
        {ADDER, 1, 0.02, 0, 0, 0},
        {FAILER, 5, 0.01, -EIO, 0, 0},
    };
    async_group_member slots[3];
    async_group g;
    (void)state;

    async_group_init(&g, slots, 3);
    assert_int_equal(async_run(wait_members(&g, m, N(m))), 0);
    static const int want[] = {
        1, 5, ADDED + 1, 2, SLEEPER_END + 5, SLEEPER_END + 2, WAITED};
    assert_events(want, 7);
    assert_int_equal(heap_left, 0);

    events_reset();
    async_group_init(&g, slots, 2);
    assert_int_equal(code(async_run(wait_members(&g, m2, N(m2)))), -EIO);
    static const int want2[] = {1, 5, SLEEPER_END + 5, WAITED};
    assert_events(want2, 4);
    assert_int_equal(heap_left, 0);
}

static void test_add_finished(void **state) {
    async_group_member slots[1];
    async_group g;
    (void)state;

    /* A task that finished before it was added: released at once, and
     * its failure counts. */
    async_group_init(&g, slots, 1);
    assert_int_equal(code(async_run(add_finished(&g, 0.01, -EIO))), -EIO);
    assert_int_equal(heap_left, 0);

    events_reset();
    async_group_init(&g, slots, 1);
    assert_int_equal(async_run(add_finished(&g, 0, 0)), 0);
    static const int want[] = {1, SLEEPER_END + 1, ADDED};
    assert_events(want, 3);
    assert_int_equal(heap_left, 0);
}

static void test_bad_input(void **state) {
    /* NULL group: the task is cancelled and released all the same.
     * NULL task (async_spawn out of memory): the group fails.  Full:
     * the task is discarded and the group fails. */
    static const struct member m[] = {
        {SLEEPER, 1, 10, 0, ASYNC_EINVAL, 1},
        {CLEANER, 2, 10, 0, 0, 0},
        {NO_TASK, 0, 0, 0, ASYNC_EINVAL, 0},
        {SLEEPER, 3, 10, 0, ASYNC_ENOMEM, 0},
    };
    /* Closed once waited for: adding fails. */
    static const struct member m2[] = {{SLEEPER, 4, 10, 0, ASYNC_EINVAL, 0}};
    async_group_member slots[1];
    async_group g;
    (void)state;

    assert_int_equal(async_group_init(NULL, slots, 1), ASYNC_EINVAL);
    assert_int_equal(async_group_init(&g, NULL, 1), ASYNC_EINVAL);
    assert_int_equal(async_group_init(&g, slots, 0), ASYNC_EINVAL);
    assert_int_equal(async_group_size(NULL), 0);

    async_group_init(&g, slots, 1);
    assert_int_equal(code(async_run(wait_members(&g, m, N(m)))), ASYNC_ENOMEM);
    /* None ran: each was cancelled before its first step.  The group's
     * failure interrupted the owner's yield. */
    static const int want[] = {INTERRUPTED, WAITED};
    assert_events(want, 2);
    /* Sleeper 3, queued behind the owner (whose cancellation queued it
     * again at once), had not taken its cancelled first step yet. */
    assert_int_equal(heap_left, 1);

    /* Closed once waited for: adding fails, waiting again fails. */
    events_reset();
    async_group_init(&g, slots, 1);
    assert_int_equal(async_run(waiter(&g)), 0);
    assert_int_equal(code(async_run(wait_members(&g, m2, N(m2)))),
                     ASYNC_EINVAL);
    assert_int_equal(code(async_run(waiter(NULL))), ASYNC_EINVAL);
    /* Sleeper 4, cancelled and released before it ran, never runs. */
    static const int want2[] = {WAITED, WAITED, WAITED};
    assert_events(want2, 3);
}

/* Two tasks waiting for one group: the second wait fails at once.  That
 * ends the run, which cancels the first waiter: its wait cancels the
 * sleeper and fails (the second WAITED). */
static void test_second_waiter(void **state) {
    static const struct member m[] = {
        {SLEEPER, 1, 0.01, 0, 0, 0},
        {WAITER, 0, 0, 0, 0, 0},
    };
    async_group_member slots[1];
    async_group g;
    (void)state;

    async_group_init(&g, slots, 1);
    assert_int_equal(code(async_run(wait_members(&g, m, N(m)))), ASYNC_EINVAL);
    static const int want[] = {1, WAITED, WAITED};
    assert_events(want, 3);
}

/* The group fails while its owner runs (a NULL task added): the owner's
 * cancellation, requested then, is withdrawn when it goes straight to
 * the wait, which fails with ASYNC_ENOMEM, not ASYNC_ECANCELED; the
 * owner's later awaits are not cancelled either. */
static async int owner_enomem(async_group *g) {
    int err, err2;

    assert_int_equal(async_group_add(g, async_spawn(cleaner(1, 10))), 0);
    assert_int_equal(async_group_add(g, NULL), ASYNC_EINVAL);
    async_try(await(async_group_wait(g)), &err);
    event(WAITED);
    async_try(await(async_sleep(0.001)), &err2);
    assert_int_equal(err2, 0);
    return err;
}

static void test_owner_request_withdrawn(void **state) {
    async_group_member slots[2];
    async_group g;
    (void)state;

    async_group_init(&g, slots, 2);
    assert_int_equal(async_run(owner_enomem(&g)), ASYNC_ENOMEM);
    /* The cleaner was cancelled before it ever ran. */
    static const int want[] = {WAITED};
    assert_events(want, 1);
}

/* The group requests the owner's cancellation once: a second
 * cancellation, from outside, is the outsider's, and fails the owner's
 * next await as usual; the wait still fails with the member's code. */
static async int owner_twice(async_group *g) {
    int err;

    assert_int_equal(async_group_add(g, async_spawn(failer(1, 0.01, -EIO))), 0);
    async_try(await(async_sleep(10)), &err); /* the group's, at 10 ms */
    note_interrupted(err);
    async_try(await(async_sleep(10)), &err); /* the outsider's, at 300 ms */
    assert_int_equal(err, ASYNC_ECANCELED);
    event(CANCELLING + 1);
    async_try(await(async_group_wait(g)), &err);
    event(WAITED);
    return err;
}

static async int cancel_owner_later(async_group *g) {
    async_task *t = async_spawn(owner_twice(g));

    await(async_sleep(0.3));
    event(CANCELLING);
    async_cancel(t);
    return await(t);
}

static void test_owner_cancelled_from_outside(void **state) {
    async_group_member slots[2];
    async_group g;
    double start = async_time();
    (void)state;

    async_group_init(&g, slots, 2);
    assert_int_equal(async_run(cancel_owner_later(&g)), -EIO);
    static const int want[] = {1,          SLEEPER_END + 1, INTERRUPTED,
                               CANCELLING, CANCELLING + 1,  WAITED};
    assert_events(want, 6);
    assert_true(async_time() - start < 5.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_all_succeed, setup),
        cmocka_unit_test_setup(test_one_fails, setup),
        cmocka_unit_test_setup(test_first_code_wins, setup),
        cmocka_unit_test_setup(test_failure_before_wait, setup),
        cmocka_unit_test_setup(test_cancel_waiter, setup),
        cmocka_unit_test_setup(test_add_during_wait, setup),
        cmocka_unit_test_setup(test_add_finished, setup),
        cmocka_unit_test_setup(test_bad_input, setup),
        cmocka_unit_test_setup(test_second_waiter, setup),
        cmocka_unit_test_setup(test_owner_request_withdrawn, setup),
        cmocka_unit_test_setup(test_owner_cancelled_from_outside, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
