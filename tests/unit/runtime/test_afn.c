/*
 * test_afn.c -- frames of calls through async function pointers
 * (runtime/src/afn.c): where they come from, what the descriptor gives,
 * reuse of freed blocks, spawning a pending frame, and awaits through
 * pointers in the dialect.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "task_alloc.h"

/* Hand-written: the test drives the frame itself, as generated code does
 * around a call through a pointer. */
struct hand_frame {
    int _state;
    int x;
    long double wide; /* makes the frame want 16-byte alignment */
    int _ret;
};

static int hand_polls;

static int hand_resume(void *frame) {
    struct hand_frame *f = frame;

    hand_polls++;
    f->_ret = 2 * f->x;
    f->_state = -1;
    return ASYNC__READY;
}

static const async__afn hand = {
    {hand_resume, "hand", offsetof(struct hand_frame, _ret), sizeof(int),
     ASYNC__RESULT_SIGNED, _Alignof(struct hand_frame)},
    sizeof(struct hand_frame)};

struct big_frame {
    int _state;
    char pad[2000];
    int _ret;
};

static int big_resume(void *frame) {
    struct big_frame *f = frame;

    f->_ret = f->pad[0] + f->pad[1999];
    f->_state = -1;
    return ASYNC__READY;
}

static const async__afn big = {
    {big_resume, "big", offsetof(struct big_frame, _ret), sizeof(int),
     ASYNC__RESULT_SIGNED, _Alignof(struct big_frame)},
    sizeof(struct big_frame)};

static void count_live(async_task *t, void *arg) {
    (void)t;
    ++*(size_t *)arg;
}

static void test_frame_from_the_task_allocator(void **state) {
    size_t live = 0;

    (void)state;
    struct hand_frame *f = async__afn_frame(&hand);
    assert_int_equal((uintptr_t)f % 16, 0);
    f->_state = 0;
    f->x = 21;
    assert_ptr_equal(async__afn_take(), f);
    /* The block holds no task: the walk over live tasks skips it. */
    async__task_mem_each(count_live, &live);
    assert_int_equal(live, 0);
    hand_polls = 0;
    assert_int_equal(async__afn_poll(f), ASYNC__READY);
    assert_int_equal(hand_polls, 1);
    assert_string_equal(async__afn_name(f), "hand");
    assert_ptr_equal(async__afn_result(f), &f->_ret);
    assert_int_equal(*(int *)async__afn_result(f), 42);
    async__afn_free(f);
    /* The freed block is the next one of its size. */
    void *g = async__afn_frame(&hand);
    assert_ptr_equal(g, f);
    assert_ptr_equal(async__afn_take(), g);
    async__afn_free(g);
}

static void test_big_frame(void **state) {
    (void)state;
    struct big_frame *f = async__afn_frame(&big);
    f->_state = 0;
    f->pad[0] = 1;
    f->pad[1999] = 2;
    assert_ptr_equal(async__afn_take(), f);
    assert_int_equal(async__afn_poll(f), ASYNC__READY);
    assert_int_equal(*(int *)async__afn_result(f), 3);
    async__afn_free(f);
}

/* async__afn_spawn moves the pending frame into a new task, which runs
 * when the spawner next suspends. */
static async int spawn_pending(int x, int big_one) {
    if (big_one) {
        struct big_frame *b = async__afn_frame(&big);
        b->_state = 0;
        b->pad[0] = (char)x;
        b->pad[1999] = 1;
    } else {
        struct hand_frame *f = async__afn_frame(&hand);
        f->_state = 0;
        f->x = x;
    }
    async_task *t = async__afn_spawn();
    assert_non_null(t);
    assert_false(async_task_done(t));
    int r = await(t);
    async_task_release(t);
    return r;
}

static void test_spawn_moves_the_frame(void **state) {
    (void)state;
    assert_int_equal(async_run(spawn_pending(5, 0)), 10);
    assert_int_equal(async_run(spawn_pending(5, 1)), 6);
}

/* Through the dialect: the starters asyncc generates. */
typedef async int step_fn(int x);

/* External (not static), so their starters are too; declared first, as
 * -Wmissing-prototypes wants. */
async int add_one(int x);
async int yield_twice(int x);

async int add_one(int x) { return x + 1; }

async int yield_twice(int x) {
    await(async_sleep(0));
    return 2 * x;
}

static async int through_pointers(void) {
    step_fn *steps[] = {add_one, yield_twice};
    int x = 1;
    for (int i = 0; i < 6; i++)
        x = await(steps[i % 2](x));
    async_task *t = async_spawn(steps[1](x));
    int y = await(t);
    async_task_release(t);
    return y;
}

static void test_await_and_spawn_through_pointers(void **state) {
    (void)state;
    /* 1 -> 2 -> 4 -> 5 -> 10 -> 11 -> 22, spawned: 44 */
    assert_int_equal(async_run(through_pointers()), 44);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_from_the_task_allocator),
        cmocka_unit_test(test_big_frame),
        cmocka_unit_test(test_spawn_moves_the_frame),
        cmocka_unit_test(test_await_and_spawn_through_pointers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
