/*
 * test_queue.c -- async_queue: FIFO order, put waiting while full, get
 * waiting while empty, task_done/join, close waking getters and putters
 * with -EPIPE, cancelled gets and puts (also after a hand-over, by
 * put_nowait or by a put's inline path) losing and inserting nothing,
 * and NULL arguments.
 *
 * As in test_sync.c, tasks run `op` frames (one awaitable operation,
 * logged) and a `driver` root calls a test's step hook once per loop
 * pass, then joins every task.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define FRAMES_HAND_WRITTEN

#include "driver.h"
#include "frames.h"
#include "internal.h"

/* Events, next to the task's id (logged when it starts). */
enum { DONE = 100, FAILED = 200 };

enum { OP_PUT, OP_GET, OP_JOIN };

enum { MAX_IDS = 64 };

/* Per task id: the op's error and, for a get, the item it got. */
static int op_err[MAX_IDS];
static intptr_t op_got[MAX_IDS];

#define ITEM(n) ((void *)(intptr_t)(n))

/*
 * async int op(int id, int kind, async_queue *q, intptr_t item) {
 *     int err = 0;
 *     event(id);
 *     switch (kind) {
 *     case OP_PUT: async_try(await(async_queue_put(q, ITEM(item))), &err);
 *     case OP_GET: got = async_try(await(async_queue_get(q)), &err);
 *     case OP_JOIN: async_try(await(async_queue_join(q)), &err);
 *     }
 *     event((err ? FAILED : DONE) + id);
 *     return err;
 * }
 *
 * Hand-written: the tests read the waiter inside the frame of the await
 * the op is suspended at (_a1.get.waiter, _a1.put.waiter) to check
 * whether it was handed an item or a slot; a generated frame gives that
 * await no name a test can rely on.
 */
struct op__frame {
    int _state;
    int id;
    int kind;
    async_queue *q;
    intptr_t item;
    int err;
    union {
        struct async_queue_put__frame put;
        struct async_queue_get__frame get;
        struct async_queue_join__frame join;
    } _a1;
    int _ret;
};

static void op__init(struct op__frame *f, int id, int kind, async_queue *q,
                     intptr_t item) {
    f->_state = 0;
    f->id = id;
    f->kind = kind;
    f->q = q;
    f->item = item;
}

static int op__resume(void *frame) {
    struct op__frame *f = frame;
    int r;

    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    f->err = 0;
    event(f->id);
    if (f->kind == OP_PUT)
        async_queue_put__init(&f->_a1.put, f->q, ITEM(f->item));
    else if (f->kind == OP_GET)
        async_queue_get__init(&f->_a1.get, f->q);
    else
        async_queue_join__init(&f->_a1.join, f->q);
    f->_state = 1;
await1:
    if (f->kind == OP_PUT)
        r = async_queue_put__resume(&f->_a1.put);
    else if (f->kind == OP_GET)
        r = async_queue_get__resume(&f->_a1.get);
    else
        r = async_queue_join__resume(&f->_a1.join);
    if (r == ASYNC__PENDING)
        return ASYNC__PENDING;
    if (r == ASYNC__FAILED)
        f->err = async__take_error();
    else if (f->kind == OP_GET)
        op_got[f->id] = (intptr_t)f->_a1.get._ret;
    event((f->err ? FAILED : DONE) + f->id);
    op_err[f->id] = f->err;
    f->_ret = f->err;
    f->_state = -1;
    return ASYNC__READY;
}

DEFINE_SPAWN_INT(op, (int id, int kind, async_queue *q, intptr_t item),
                 ((struct op__frame *)async__task_frame(t), id, kind, q, item))

static async_task *spawn(int id, int kind, async_queue *q, intptr_t item) {
    return track(spawn_op(id, kind, q, item));
}

/* The root (see driver.h): calls the test's step hook once per pass,
 * then joins every task, whatever its outcome. */
static async int driver(step_fn *step) {
    int err;

    for (int i = 0; step(i); i++) {
        assert_true(i < 200);
        await(async_sleep(0));
    }
    for (int k = 0; k < n_tasks; k++) {
        async_try(await(tasks[k]), &err);
        assert_true(async_task_done(tasks[k]));
    }
    return 0;
}

/* Runs a test's steps and joins every task (freed when the run ends). */
static void drive(step_fn *step) {
    assert_int_equal(async_run(driver(step)), 0);
}

static async_queue q;
static void *slots[8];
static int step_seen;

static int setup(void **state) {
    (void)state;
    events_reset();
    memset(op_err, 0, sizeof op_err);
    memset(op_got, 0, sizeof op_got);
    memset(slots, 0, sizeof slots);
    n_tasks = 0;
    step_seen = 0;
    return 0;
}

/* The next item got without waiting, which must succeed. */
static intptr_t get_now(void) {
    void *item = NULL;

    assert_int_equal(async_queue_get_nowait(&q, &item), 0);
    return (intptr_t)item;
}

/* ------------------------------------------------------------------ */
/* FIFO, full and empty                                                */
/* ------------------------------------------------------------------ */

static int fifo_steps(int step) {
    if (step == 0)
        for (int id = 1; id <= 4; id++)
            spawn(id, OP_GET, &q, 0);
    if (step == 1) {
        /* The fourth getter waits on the empty queue. */
        assert_int_equal(async_queue_size(&q), 0);
        assert_int_equal(list_len(&q.getters), 1);
        assert_int_equal(async_queue_put_nowait(&q, ITEM(5)), 0);
        /* Handed straight to it: not in the queue. */
        assert_int_equal(async_queue_size(&q), 0);
    }
    return step < 2;
}

/* Items come out in the order they went in, to getters in the order
 * they came; the nowait forms report full and empty with -EAGAIN. */
static void test_fifo(void **state) {
    static const int want[] = {1, DONE + 1, 2, DONE + 2,
                               3, DONE + 3, 4, DONE + 4};
    void *item = ITEM(99);

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 3), 0);
    assert_int_equal(async_queue_size(&q), 0);
    assert_int_equal(async_queue_get_nowait(&q, &item), -EAGAIN);
    assert_ptr_equal(item, ITEM(99));
    for (int i = 1; i <= 3; i++)
        assert_int_equal(async_queue_put_nowait(&q, ITEM(i)), 0);
    assert_int_equal(async_queue_put_nowait(&q, ITEM(4)), -EAGAIN);
    assert_int_equal(async_queue_size(&q), 3);

    /* The ring wraps around: take one, add one. */
    assert_int_equal(get_now(), 1);
    assert_int_equal(async_queue_put_nowait(&q, ITEM(4)), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(async_queue_task_done(&q), 0);

    /* Three getters take 2, 3, 4; the fourth waits for 5. */
    events_reset();
    drive(fifo_steps);
    assert_events(want, 8);
    for (int id = 1; id <= 4; id++) {
        assert_int_equal(op_err[id], 0);
        assert_int_equal(op_got[id], id + 1);
    }
    assert_int_equal(async_queue_size(&q), 0);
}

static int full_steps(int step) {
    switch (step) {
    case 0:
        for (int id = 1; id <= 4; id++)
            spawn(id, OP_PUT, &q, 10 * id);
        return 1;
    case 1:
        /* Two fit; two wait, in order. */
        assert_int_equal(async_queue_size(&q), 2);
        assert_int_equal(list_len(&q.putters), 2);
        for (int id = 5; id <= 8; id++)
            spawn(id, OP_GET, &q, 0);
        return 1;
    default:
        return step < 6;
    }
}

/* A put waits while the queue is full and goes on, in order, as getters
 * make room; the items keep the order of the puts. */
static void test_put_waits_while_full(void **state) {
    static const int want[] = {1,        DONE + 1, 2,        DONE + 2, 3, 4,
                               5,        DONE + 5, 6,        DONE + 6, 7, 8,
                               DONE + 3, DONE + 4, DONE + 7, DONE + 8};

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 2), 0);
    drive(full_steps);
    assert_events(want, 16);
    for (int id = 5; id <= 8; id++)
        assert_int_equal(op_got[id], 10 * (id - 4));
    for (int id = 1; id <= 8; id++)
        assert_int_equal(op_err[id], 0);
    assert_int_equal(async_queue_size(&q), 0);
}

static int empty_steps(int step) {
    switch (step) {
    case 0:
        spawn(1, OP_GET, &q, 0);
        spawn(2, OP_GET, &q, 0);
        return 1;
    case 1:
        assert_int_equal(list_len(&q.getters), 2);
        spawn(3, OP_PUT, &q, 30);
        spawn(4, OP_PUT, &q, 40);
        return 1;
    default:
        return 0;
    }
}

/* A get waits while the queue is empty; puts wake the getters in the
 * order they came, each with its own item. */
static void test_get_waits_while_empty(void **state) {
    static const int want[] = {1, 2,        3,        DONE + 3,
                               4, DONE + 4, DONE + 1, DONE + 2};

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 2), 0);
    drive(empty_steps);
    assert_events(want, 8);
    assert_int_equal(op_got[1], 30);
    assert_int_equal(op_got[2], 40);
}

/* ------------------------------------------------------------------ */
/* task_done and join                                                  */
/* ------------------------------------------------------------------ */

static int join_steps(int step) {
    switch (step) {
    case 0:
        assert_int_equal(async_queue_put_nowait(&q, ITEM(1)), 0);
        assert_int_equal(async_queue_put_nowait(&q, ITEM(2)), 0);
        spawn(1, OP_JOIN, &q, 0);
        spawn(2, OP_JOIN, &q, 0);
        return 1;
    case 1:
        assert_int_equal(list_len(&q.joiners), 2);
        assert_int_equal(get_now(), 1);
        assert_int_equal(get_now(), 2);
        /* Got, but not done: the joiners still wait. */
        assert_int_equal(async_queue_task_done(&q), 0);
        return 1;
    case 2:
        assert_int_equal(list_len(&q.joiners), 2);
        assert_int_equal(n_events, 2);
        assert_int_equal(async_queue_task_done(&q), 0);
        assert_null(q.joiners.head);
        return 1;
    case 3:
        /* Nothing unfinished: a join returns at once. */
        spawn(3, OP_JOIN, &q, 0);
        return 1;
    default:
        return 0;
    }
}

static void test_join_task_done(void **state) {
    static const int want[] = {1, 2, DONE + 1, DONE + 2, 3, DONE + 3};

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 4), 0);
    assert_int_equal(async_queue_task_done(&q), ASYNC_EINVAL);
    drive(join_steps);
    assert_events(want, 6);
    /* One task_done too many. */
    assert_int_equal(async_queue_task_done(&q), ASYNC_EINVAL);
}

static int join_cancel_steps(int step) {
    switch (step) {
    case 0:
        assert_int_equal(async_queue_put_nowait(&q, ITEM(1)), 0);
        spawn(1, OP_JOIN, &q, 0);
        return 1;
    case 1:
        assert_int_equal(async_cancel(tasks[0]), 1);
        return 1;
    default:
        assert_null(q.joiners.head);
        return 0;
    }
}

static void test_join_cancel(void **state) {
    static const int want[] = {1, FAILED + 1};

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 4), 0);
    drive(join_cancel_steps);
    assert_events(want, 2);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(async_queue_task_done(&q), 0);
}

/* ------------------------------------------------------------------ */
/* close                                                               */
/* ------------------------------------------------------------------ */

static async_queue q2;
static void *slots2[1];

static int close_steps(int step) {
    switch (step) {
    case 0:
        spawn(1, OP_PUT, &q, 2);  /* q is full: waits */
        spawn(2, OP_GET, &q2, 0); /* q2 is empty: waits */
        return 1;
    case 1:
        assert_int_equal(list_len(&q.putters), 1);
        assert_int_equal(list_len(&q2.getters), 1);
        assert_int_equal(async_queue_close(&q), 0);
        assert_int_equal(async_queue_close(&q2), 0);
        assert_int_equal(async_queue_close(&q2), 0); /* again: nothing */
        assert_null(q.putters.head);
        assert_null(q2.getters.head);
        return 1;
    case 2:
        /* The queued item can still be got, by an await too. */
        spawn(3, OP_GET, &q, 0);
        spawn(4, OP_PUT, &q, 3);
        return 1;
    case 3:
        spawn(5, OP_GET, &q, 0);
        return 1;
    default:
        return 0;
    }
}

/* Closing wakes the waiting putter and getter with -EPIPE; a closed
 * queue refuses puts, still gives out what it holds, and then fails gets
 * with -EPIPE. */
static void test_close(void **state) {
    static const int want[] = {1,        2, FAILED + 1, FAILED + 2, 3,
                               DONE + 3, 4, FAILED + 4, 5,          FAILED + 5};
    void *item = NULL;

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 1), 0);
    assert_int_equal(async_queue_init(&q2, slots2, 1), 0);
    assert_int_equal(async_queue_put_nowait(&q, ITEM(1)), 0);
    drive(close_steps);
    assert_events(want, 10);
    assert_int_equal(op_err[1], -EPIPE);
    assert_int_equal(op_err[2], -EPIPE);
    assert_int_equal(op_err[3], 0);
    assert_int_equal(op_got[3], 1);
    assert_int_equal(op_err[4], -EPIPE);
    assert_int_equal(op_err[5], -EPIPE);
    assert_int_equal(async_queue_put_nowait(&q, ITEM(9)), -EPIPE);
    assert_int_equal(async_queue_get_nowait(&q, &item), -EPIPE);
    assert_int_equal(async_queue_size(&q), 0);
}

/* ------------------------------------------------------------------ */
/* Cancellation                                                        */
/* ------------------------------------------------------------------ */

static int get_cancel_steps(int step) {
    switch (step) {
    case 0:
        spawn(1, OP_GET, &q, 0);
        spawn(2, OP_GET, &q, 0);
        return 1;
    case 1:
        assert_int_equal(async_cancel(tasks[0]), 1);
        return 1;
    case 2:
        assert_int_equal(list_len(&q.getters), 1);
        assert_int_equal(async_queue_put_nowait(&q, ITEM(7)), 0);
        return 1;
    default:
        return 0;
    }
}

/* A waiting get that is cancelled leaves; the next item goes to the
 * getter that still waits. */
static void test_cancel_waiting_get(void **state) {
    static const int want[] = {1, 2, FAILED + 1, DONE + 2};

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 2), 0);
    drive(get_cancel_steps);
    assert_events(want, 4);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(op_got[2], 7);
    assert_int_equal(async_queue_size(&q), 0);
}

static int handed_getters; /* how many getters the race test spawns */

static int get_race_steps(int step) {
    switch (step) {
    case 0:
        for (int id = 1; id <= handed_getters; id++)
            spawn(id, OP_GET, &q, 0);
        return 1;
    case 1:
        /* 7 is handed to getter 1, 8 is queued behind it; getter 1 is
         * cancelled before it runs. */
        assert_int_equal(async_queue_put_nowait(&q, ITEM(7)), 0);
        if (handed_getters == 1)
            assert_int_equal(async_queue_put_nowait(&q, ITEM(8)), 0);
        assert_int_equal(async__waiter_status(
                             &((struct op__frame *)async__task_frame(tasks[0]))
                                  ->_a1.get.waiter),
                         ASYNC__SYNC_GRANTED);
        /* The handed item still takes room: the queue is full. */
        if (handed_getters == 1)
            assert_int_equal(async_queue_put_nowait(&q, ITEM(9)), -EAGAIN);
        assert_int_equal(async_cancel(tasks[0]), 1);
        return 1;
    default:
        return 0;
    }
}

/* The hand-over race: an item handed to a getter cancelled before it ran
 * goes back to the front of the queue (ahead of 8), or on to the next
 * getter. */
static void test_cancel_get_after_handover(void **state) {
    static const int alone[] = {1, FAILED + 1};
    static const int next[] = {1, 2, FAILED + 1, DONE + 2};

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 2), 0);
    handed_getters = 1;
    drive(get_race_steps);
    assert_events(alone, 2);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(async_queue_size(&q), 2);
    assert_int_equal(get_now(), 7);
    assert_int_equal(get_now(), 8);

    setup(NULL);
    assert_int_equal(async_queue_init(&q, slots, 2), 0);
    handed_getters = 2;
    drive(get_race_steps);
    assert_events(next, 4);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(op_got[2], 7);
    assert_int_equal(async_queue_size(&q), 0);
}

enum { PUTTER = 9 }; /* the id of the put task in the race below */

static int inline_race_steps(int step) {
    struct async_queue_get__frame *first;

    switch (step) {
    case 0:
        for (int id = 1; id <= handed_getters; id++)
            spawn(id, OP_GET, &q, 0);
        return 1;
    case 1:
        /* The put runs in the next pass, before this hook. */
        spawn(PUTTER, OP_PUT, &q, 7);
        return 1;
    case 2:
        /* 7 was handed to getter 1 by the inline put, and getter 1 has
         * not run yet: it is cancelled now. */
        first = &((struct op__frame *)async__task_frame(tasks[0]))->_a1.get;
        assert_int_equal(first->_state, ASYNC__QUEUE_GET_HANDED);
        assert_int_equal(list_len(&q.getters), handed_getters - 1);
        /* The handed item still takes the only slot's room. */
        assert_int_equal(async_queue_put_nowait(&q, ITEM(8)), -EAGAIN);
        assert_int_equal(async_cancel(tasks[0]), 1);
        return 1;
    default:
        return 0;
    }
}

/* The same race through the inline hand-over of a put that found the
 * getter waiting: the item goes back to the queue, or on to the next
 * getter, and its room is counted once. */
static void test_cancel_get_after_inline_handover(void **state) {
    static const int alone[] = {1, PUTTER, DONE + PUTTER, FAILED + 1};
    static const int next[] = {1,          2,       PUTTER, DONE + PUTTER,
                               FAILED + 1, DONE + 2};

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 1), 0);
    handed_getters = 1;
    drive(inline_race_steps);
    assert_events(alone, 4);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(async_queue_size(&q), 1);
    assert_int_equal(get_now(), 7);
    assert_int_equal(async_queue_put_nowait(&q, ITEM(8)), 0);
    assert_int_equal(async_queue_put_nowait(&q, ITEM(9)), -EAGAIN);

    setup(NULL);
    assert_int_equal(async_queue_init(&q, slots, 1), 0);
    handed_getters = 2;
    drive(inline_race_steps);
    assert_events(next, 6);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(op_got[2], 7);
    assert_int_equal(async_queue_size(&q), 0);
    assert_int_equal(async_queue_free(&q), 0);
}

static int put_cancel_steps(int step) {
    switch (step) {
    case 0:
        spawn(1, OP_PUT, &q, 2);
        return 1;
    case 1:
        assert_int_equal(list_len(&q.putters), 1);
        assert_int_equal(async_cancel(tasks[0]), 1);
        return 1;
    default:
        assert_null(q.putters.head);
        return 0;
    }
}

/* A waiting put that is cancelled inserts nothing. */
static void test_cancel_waiting_put(void **state) {
    static const int want[] = {1, FAILED + 1};

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 1), 0);
    assert_int_equal(async_queue_put_nowait(&q, ITEM(1)), 0);
    drive(put_cancel_steps);
    assert_events(want, 2);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(async_queue_size(&q), 1);
    assert_int_equal(get_now(), 1);
    assert_int_equal(async_queue_size(&q), 0);
    /* Only the one item put counts for join. */
    assert_int_equal(async_queue_task_done(&q), 0);
    assert_int_equal(async_queue_task_done(&q), ASYNC_EINVAL);
}

static int put_race_steps(int step) {
    switch (step) {
    case 0:
        spawn(1, OP_PUT, &q, 2);
        spawn(2, OP_PUT, &q, 3);
        return 1;
    case 1:
        /* Room for putter 1, which is cancelled before it runs. */
        assert_int_equal(get_now(), 1);
        assert_int_equal(async__waiter_status(
                             &((struct op__frame *)async__task_frame(tasks[0]))
                                  ->_a1.put.waiter),
                         ASYNC__SYNC_GRANTED);
        assert_int_equal(async_queue_put_nowait(&q, ITEM(9)), -EAGAIN);
        assert_int_equal(async_cancel(tasks[0]), 1);
        return 1;
    default:
        return 0;
    }
}

/* The hand-over race for puts: room reserved for a putter cancelled
 * before it ran goes to the next putter; the cancelled item never
 * enters. */
static void test_cancel_put_after_handover(void **state) {
    static const int want[] = {1, 2, FAILED + 1, DONE + 2};

    (void)state;
    assert_int_equal(async_queue_init(&q, slots, 1), 0);
    assert_int_equal(async_queue_put_nowait(&q, ITEM(1)), 0);
    drive(put_race_steps);
    assert_events(want, 4);
    assert_int_equal(op_err[1], ASYNC_ECANCELED);
    assert_int_equal(op_err[2], 0);
    assert_int_equal(async_queue_size(&q), 1);
    assert_int_equal(get_now(), 3);
}

/* ------------------------------------------------------------------ */
/* Bad arguments                                                       */
/* ------------------------------------------------------------------ */

static int null_steps(int step) {
    if (step == 0) {
        spawn(1, OP_PUT, NULL, 1);
        spawn(2, OP_GET, NULL, 0);
        spawn(3, OP_JOIN, NULL, 0);
    }
    return 0;
}

static void test_bad_arguments(void **state) {
    static const int want[] = {1, FAILED + 1, 2, FAILED + 2, 3, FAILED + 3};
    void *item;

    (void)state;
    assert_int_equal(async_queue_init(NULL, slots, 1), ASYNC_EINVAL);
    assert_int_equal(async_queue_init(&q, NULL, 1), ASYNC_EINVAL);
    assert_int_equal(async_queue_init(&q, slots, 0), ASYNC_EINVAL);
    assert_int_equal(async_queue_init(&q, slots, SIZE_MAX), ASYNC_EINVAL);
    assert_int_equal(async_queue_init(&q, slots, 1), 0);
    assert_int_equal(async_queue_put_nowait(NULL, ITEM(1)), ASYNC_EINVAL);
    assert_int_equal(async_queue_get_nowait(NULL, &item), ASYNC_EINVAL);
    assert_int_equal(async_queue_get_nowait(&q, NULL), ASYNC_EINVAL);
    assert_int_equal(async_queue_size(NULL), ASYNC_EINVAL);
    assert_int_equal(async_queue_task_done(NULL), ASYNC_EINVAL);
    assert_int_equal(async_queue_close(NULL), ASYNC_EINVAL);
    drive(null_steps);
    assert_events(want, 6);
    for (int id = 1; id <= 3; id++)
        assert_int_equal(op_err[id], ASYNC_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fifo, setup),
        cmocka_unit_test_setup(test_put_waits_while_full, setup),
        cmocka_unit_test_setup(test_get_waits_while_empty, setup),
        cmocka_unit_test_setup(test_join_task_done, setup),
        cmocka_unit_test_setup(test_join_cancel, setup),
        cmocka_unit_test_setup(test_close, setup),
        cmocka_unit_test_setup(test_cancel_waiting_get, setup),
        cmocka_unit_test_setup(test_cancel_get_after_handover, setup),
        cmocka_unit_test_setup(test_cancel_get_after_inline_handover, setup),
        cmocka_unit_test_setup(test_cancel_waiting_put, setup),
        cmocka_unit_test_setup(test_cancel_put_after_handover, setup),
        cmocka_unit_test_setup(test_bad_arguments, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
