/*
 * test_group.c -- task groups: the wait completes when every member has
 * finished; the first failure cancels the others and is the wait's code;
 * cancelling the waiting task cancels every member; members added during
 * the wait or already finished; bad input; handles released (the loop's
 * list of heap tasks is checked, and valgrind and ASan see the rest).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define FRAMES_HAND_WRITTEN

#include "frames.h"
#include "internal.h"

/* More events, next to frames.h's id and SLEEPER_END + id. */
/* Heap tasks alive when the waiter saw the wait complete: see
 * count_heap_tasks. */
static int heap_left = -1;

enum { CAUGHT = 200, WAITED = 300, CANCELLING = 400, ADDED = 500 };

static int setup(void **state) {
    (void)state;
    events_reset();
    heap_left = -1;
    return 0;
}

/*
 * async int raiser(int id, int code) {
 *     event(id);
 *     async_raise(code);
 * }
 */
struct raiser__frame {
    int _state;
    int id;
    int code;
    int _ret;
};

static void raiser__init(struct raiser__frame *f, int id, int code) {
    f->_state = 0;
    f->id = id;
    f->code = code;
}

static int raiser__resume(void *frame) {
    struct raiser__frame *f = frame;

    if (f->_state != 0)
        return ASYNC__READY;
    event(f->id);
    f->_state = -1;
    return async__raise(f->code);
}

/*
 * async int cleaner(int id, double seconds) {
 *     int err;
 *     event(id);
 *     async_try(await(async_sleep(seconds)), &err);
 *     if (err) {
 *         event(CAUGHT + id);
 *         async_raise(err);
 *     }
 *     event(SLEEPER_END + id);
 *     return id;
 * }
 */
struct cleaner__frame {
    int _state;
    int id;
    double seconds;
    int err;
    struct async_sleep__frame _a1;
    int _ret;
};

static void cleaner__init(struct cleaner__frame *f, int id, double seconds) {
    f->_state = 0;
    f->id = id;
    f->seconds = seconds;
}

static int cleaner__resume(void *frame) {
    struct cleaner__frame *f = frame;
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
    f->err = 0;
    async_sleep__init(&f->_a1, f->seconds);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_a1)) != ASYNC__READY) {
        if (r == ASYNC__PENDING)
            return ASYNC__PENDING;
        f->err = async__take_error();
    }
    if (f->err) {
        event(CAUGHT + f->id);
        f->_state = -1;
        return async__raise(f->err);
    }
    event(SLEEPER_END + f->id);
    f->_ret = f->id;
    f->_state = -1;
    return ASYNC__READY;
}

/*
 * async int waiter(async_group *g) {
 *     int err;
 *     int r = async_try(await(async_group_wait(g)), &err);
 *     event(WAITED);
 *     heap_left = count_heap_tasks();
 *     if (err)
 *         async_raise(err);
 *     return r;
 * }
 */
struct waiter__frame {
    int _state;
    async_group *g;
    struct async_group_wait__frame _a1;
    int _ret;
};

static void waiter__init(struct waiter__frame *f, async_group *g) {
    f->_state = 0;
    f->g = g;
}

static int waiter__resume(void *frame) {
    struct waiter__frame *f = frame;
    int r, err = 0;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    async_group_wait__init(&f->_a1, f->g);
    f->_state = 1;
await1:
    if ((r = async_group_wait__resume(&f->_a1)) != ASYNC__READY) {
        if (r == ASYNC__PENDING)
            return ASYNC__PENDING;
        err = async__take_error();
        f->_a1._ret = 0;
    }
    event(WAITED);
    heap_left = count_heap_tasks();
    f->_state = -1;
    if (err)
        return async__raise(err);
    f->_ret = f->_a1._ret;
    return ASYNC__READY;
}

DEFINE_SPAWN_INT(raiser, (int id, int code),
                 ((struct raiser__frame *)async__task_frame(t), id, code))
DEFINE_SPAWN_INT(cleaner, (int id, double seconds),
                 ((struct cleaner__frame *)async__task_frame(t), id, seconds))
DEFINE_SPAWN_INT(waiter, (async_group * g),
                 ((struct waiter__frame *)async__task_frame(t), g))

/*
 * async int cancel_after(async_task *t, double seconds) {
 *     await(async_sleep(seconds));
 *     event(CANCELLING);
 *     async_cancel(t);
 *     return await(t);
 * }
 */
struct cancel_after__frame {
    int _state;
    async_task *t;
    double seconds;
    union {
        struct async_sleep__frame a1;
        struct async_join__frame a2;
    } _aw;
    int _ret;
};

static void cancel_after__init(struct cancel_after__frame *f, async_task *t,
                               double seconds) {
    f->_state = 0;
    f->t = t;
    f->seconds = seconds;
}

static int cancel_after__resume(void *frame) {
    struct cancel_after__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    case 2:
        goto await2;
    default:
        return ASYNC__READY;
    }
    async_sleep__init(&f->_aw.a1, f->seconds);
    f->_state = 1;
await1:
    if ((r = async_sleep__resume(&f->_aw.a1)) != ASYNC__READY)
        goto exit;
    event(CANCELLING);
    async_cancel(f->t);
    async_join__init(&f->_aw.a2, f->t);
    f->_state = 2;
await2:
    if ((r = async_join__resume(&f->_aw.a2)) != ASYNC__READY)
        goto exit;
    f->_ret = f->_aw.a2._ret;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/*
 * async int adder(async_group *g, int id, double seconds) {
 *     event(id);
 *     await(async_sleep(seconds));
 *     event(ADDED + id);
 *     async_group_add(g, async_spawn(sleeper(id + 1, seconds)));
 *     return id;
 * }
 */
struct adder__frame {
    int _state;
    async_group *g;
    int id;
    double seconds;
    struct async_sleep__frame _a1;
    int _ret;
};

static void adder__init(struct adder__frame *f, async_group *g, int id,
                        double seconds) {
    f->_state = 0;
    f->g = g;
    f->id = id;
    f->seconds = seconds;
}

static int adder__resume(void *frame) {
    struct adder__frame *f = frame;
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
    event(ADDED + f->id);
    assert_int_equal(
        async_group_add(f->g, spawn_sleeper(f->id + 1, f->seconds)), 0);
    f->_ret = f->id;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

DEFINE_SPAWN_INT(adder, (async_group * g, int id, double seconds),
                 ((struct adder__frame *)async__task_frame(t), g, id, seconds))

/*
 * async int late_add(async_group *g, async_task *t) {
 *     int err;
 *     async_try(await(t), &err);
 *     event(ADDED);
 *     async_group_add(g, t);
 *     heap_left = count_heap_tasks();
 *     return await(async_group_wait(g));
 * }
 */
struct late_add__frame {
    int _state;
    async_group *g;
    async_task *t;
    union {
        struct async_join__frame a1;
        struct async_group_wait__frame a2;
    } _aw;
    int _ret;
};

static void late_add__init(struct late_add__frame *f, async_group *g,
                           async_task *t) {
    f->_state = 0;
    f->g = g;
    f->t = t;
}

static int late_add__resume(void *frame) {
    struct late_add__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    case 2:
        goto await2;
    default:
        return ASYNC__READY;
    }
    async_join__init(&f->_aw.a1, f->t);
    f->_state = 1;
await1:
    if ((r = async_join__resume(&f->_aw.a1)) != ASYNC__READY) {
        if (r == ASYNC__PENDING)
            return ASYNC__PENDING;
        (void)async__take_error();
    }
    event(ADDED);
    assert_int_equal(async_group_add(f->g, f->t), 0);
    heap_left = count_heap_tasks();
    async_group_wait__init(&f->_aw.a2, f->g);
    f->_state = 2;
await2:
    if ((r = async_group_wait__resume(&f->_aw.a2)) != ASYNC__READY)
        goto exit;
    f->_ret = f->_aw.a2._ret;
    f->_state = -1;
    return ASYNC__READY;
exit:
    if (r == ASYNC__FAILED)
        f->_state = -1;
    return r;
}

/* ------------------------------------------------------------------ */

static void test_all_succeed(void **state) {
    async_group_member slots[4];
    async_group g;
    struct waiter__frame w;
    (void)state;

    assert_int_equal(async_group_init(&g, slots, 4), 0);
    assert_int_equal(async_group_add(&g, spawn_sleeper(1, 0.03)), 0);
    assert_int_equal(async_group_add(&g, spawn_sleeper(2, 0.01)), 0);
    assert_int_equal(async_group_add(&g, spawn_sleeper(3, 0.02)), 0);
    assert_int_equal(async_group_size(&g), 3);
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), 0);
    assert_int_equal(w._ret, 0);
    assert_int_equal(async_group_size(&g), 0);
    static const int want[] = {
        1, 2, 3, SLEEPER_END + 2, SLEEPER_END + 3, SLEEPER_END + 1, WAITED};
    assert_events(want, 7);
    assert_int_equal(heap_left, 0);
}

static void test_one_fails(void **state) {
    async_group_member slots[3];
    async_group g;
    struct waiter__frame w;
    (void)state;

    async_group_init(&g, slots, 3);
    async_group_add(&g, spawn_cleaner(1, 10));
    async_group_add(&g, spawn_failer(2, 0.01, -EIO));
    async_group_add(&g, spawn_cleaner(3, 10));
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), -EIO);
    /* The others were cancelled in their sleeps, not after 10 s. */
    static const int want[] = {1,          2,          3,     SLEEPER_END + 2,
                               CAUGHT + 1, CAUGHT + 3, WAITED};
    assert_events(want, 7);
    assert_int_equal(heap_left, 0);
}

static void test_first_code_wins(void **state) {
    async_group_member slots[3];
    async_group g;
    struct waiter__frame w;
    (void)state;

    /* raiser 2 fails first; raiser 3, cancelled before it ever ran,
     * fails with its own code all the same: not the group's code. */
    async_group_init(&g, slots, 3);
    async_group_add(&g, spawn_cleaner(1, 10));
    async_group_add(&g, spawn_raiser(2, -EIO));
    async_group_add(&g, spawn_raiser(3, -EPIPE));
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), -EIO);
    static const int want[] = {1, 2, 3, CAUGHT + 1, WAITED};
    assert_events(want, 5);

    /* Two failures at different times, the later one not cancellable
     * (no await left): the earlier code wins. */
    events_reset();
    async_group_init(&g, slots, 3);
    async_group_add(&g, spawn_failer(1, 0.02, -EPIPE));
    async_group_add(&g, spawn_failer(2, 0.01, -EIO));
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), -EIO);
    static const int want2[] = {1, 2, SLEEPER_END + 2, WAITED};
    assert_events(want2, 4);
    assert_int_equal(heap_left, 0);
}

static void test_failure_before_wait(void **state) {
    async_group_member slots[2];
    async_group g;
    struct failer__frame f;
    struct waiter__frame w;
    (void)state;

    /* The failure cancels the other member at once, with no wait yet. */
    async_group_init(&g, slots, 2);
    async_group_add(&g, spawn_failer(1, 0.01, -EIO));
    async_group_add(&g, spawn_cleaner(2, 10));
    failer__init(&f, 3, 0.05, 0);
    assert_int_equal(RUN(failer, &f), 0);
    static const int want[] = {
        1, 2, 3, SLEEPER_END + 1, CAUGHT + 2, SLEEPER_END + 3};
    assert_events(want, 6);
    assert_int_equal(async_group_size(&g), 0);
    /* A task added to a failed group is cancelled at once. */
    events_reset();
    assert_int_equal(async_group_add(&g, spawn_cleaner(4, 10)), 0);
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), -EIO);
    static const int want2[] = {4, CAUGHT + 4, WAITED};
    assert_events(want2, 3);
    /* Nothing left to wait for: the wait fails at once with the code. */
    events_reset();
    async_group_init(&g, slots, 2);
    async_group_add(&g, spawn_failer(1, 0, -EPIPE));
    failer__init(&f, 3, 0.01, 0);
    assert_int_equal(RUN(failer, &f), 0);
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), -EPIPE);
    assert_int_equal(heap_left, 0);
}

static void test_cancel_waiter(void **state) {
    async_group_member slots[3];
    async_group g;
    struct cancel_after__frame c;
    async_task *wt;
    (void)state;

    async_group_init(&g, slots, 3);
    async_group_add(&g, spawn_cleaner(1, 10));
    async_group_add(&g, spawn_cleaner(2, 10));
    async_group_add(&g, spawn_sleeper(3, 10));
    wt = spawn_waiter(&g);
    cancel_after__init(&c, wt, 0.01);
    assert_int_equal(RUN(cancel_after, &c), ASYNC_ECANCELED);
    static const int want[] = {1,          2,          3,     CANCELLING,
                               CAUGHT + 1, CAUGHT + 2, WAITED};
    assert_events(want, 7);
    assert_int_equal(async_group_size(&g), 0);
    /* Only the waiting task itself was left. */
    assert_int_equal(heap_left, 1);
}

static void test_add_during_wait(void **state) {
    async_group_member slots[3];
    async_group g;
    struct waiter__frame w;
    (void)state;

    async_group_init(&g, slots, 3);
    async_group_add(&g, spawn_adder(&g, 1, 0.05));
    async_group_add(&g, spawn_sleeper(5, 0.075));
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), 0);
    static const int want[] = {
        1, 5, ADDED + 1, 2, SLEEPER_END + 5, SLEEPER_END + 2, WAITED};
    assert_events(want, 7);
    assert_int_equal(heap_left, 0);

    /* A member cancelled by the group's failure adds nothing. */
    events_reset();
    async_group_init(&g, slots, 2);
    async_group_add(&g, spawn_adder(&g, 1, 0.02));
    async_group_add(&g, spawn_failer(5, 0.01, -EIO));
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), -EIO);
    static const int want2[] = {1, 5, SLEEPER_END + 5, WAITED};
    assert_events(want2, 4);
    assert_int_equal(heap_left, 0);
}

static void test_add_finished(void **state) {
    async_group_member slots[1];
    async_group g;
    struct late_add__frame f;
    (void)state;

    /* A task that finished before it was added: released at once, and
     * its failure counts. */
    async_group_init(&g, slots, 1);
    late_add__init(&f, &g, spawn_failer(1, 0.01, -EIO));
    assert_int_equal(RUN(late_add, &f), -EIO);
    assert_int_equal(heap_left, 0);

    events_reset();
    async_group_init(&g, slots, 1);
    late_add__init(&f, &g, spawn_failer(1, 0, 0));
    assert_int_equal(RUN(late_add, &f), 0);
    static const int want[] = {1, SLEEPER_END + 1, ADDED};
    assert_events(want, 3);
    assert_int_equal(heap_left, 0);
}

static void test_bad_input(void **state) {
    async_group_member slots[1];
    async_group g;
    struct waiter__frame w;
    async_task *t;
    (void)state;

    assert_int_equal(async_group_init(NULL, slots, 1), ASYNC_EINVAL);
    assert_int_equal(async_group_init(&g, NULL, 1), ASYNC_EINVAL);
    assert_int_equal(async_group_init(&g, slots, 0), ASYNC_EINVAL);
    assert_int_equal(async_group_size(NULL), 0);

    /* NULL group: the task is cancelled and released all the same. */
    assert_int_equal(async_group_add(NULL, spawn_sleeper(1, 10)), ASYNC_EINVAL);
    /* NULL task (async_spawn out of memory): the group fails. */
    async_group_init(&g, slots, 1);
    assert_int_equal(async_group_add(&g, spawn_cleaner(2, 10)), 0);
    assert_int_equal(async_group_add(&g, NULL), ASYNC_EINVAL);
    /* Full: the task is discarded and the group fails. */
    assert_int_equal(async_group_add(&g, spawn_sleeper(3, 10)), ASYNC_ENOMEM);
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), ASYNC_ENOMEM);
    /* Each ran, cancelled before its first await. */
    static const int want[] = {1, 2, CAUGHT + 2, 3, WAITED};
    assert_events(want, 5);
    assert_int_equal(heap_left, 0);

    /* Closed once waited for: adding fails, waiting again fails. */
    events_reset();
    async_group_init(&g, slots, 1);
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), 0);
    t = spawn_sleeper(4, 10);
    assert_int_equal(async_group_add(&g, t), ASYNC_EINVAL);
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), ASYNC_EINVAL);
    waiter__init(&w, NULL);
    assert_int_equal(RUN(waiter, &w), ASYNC_EINVAL);
    /* Sleeper 4, cancelled and released, ran in the first run above. */
    static const int want2[] = {WAITED, 4, WAITED, WAITED};
    assert_events(want2, 4);
}

/* Two tasks waiting for one group: the second wait fails at once. */
static void test_second_waiter(void **state) {
    async_group_member slots[1];
    async_group g;
    struct waiter__frame w;
    (void)state;

    async_group_init(&g, slots, 1);
    async_group_add(&g, spawn_sleeper(1, 0.01));
    /* Queued before the root, so it waits first. */
    async_task_release(spawn_waiter(&g));
    waiter__init(&w, &g);
    assert_int_equal(RUN(waiter, &w), ASYNC_EINVAL);
    static const int want[] = {1, WAITED};
    assert_events(want, 2);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
