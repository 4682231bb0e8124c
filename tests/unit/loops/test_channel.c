/*
 * test_channel.c -- async_channel: the try_ calls from a plain thread
 * (FIFO, capacity, close, the count destroy returns); on one loop, the
 * awaitable send and receive (a sender waits while the channel is full,
 * waiting senders go in turn, a close fails the waiting senders without
 * their items and lets receivers drain, a cancelled waiter takes or
 * puts nothing); across loops, senders and receivers waking each other,
 * a close waking receivers of another loop, and a receiver woken for an
 * item but cancelled before it took it passing the wake on; bad
 * arguments.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loops_test.h"

enum { ITEMS = 100, CROSS = 10000, ROUNDS = 1000 };

static async_channel *ch, *back;
static int got_err[4], put_err[4];
static intptr_t got[4];
static int out[8];
static int ready, holding, sent; /* test_cancelled_wake_passes_on */
static async_task *first, *second;

static int setup(void **state) {
    (void)state;
    ch = back = NULL;
    for (int i = 0; i < 4; i++) {
        got_err[i] = put_err[i] = -99;
        got[i] = -99;
    }
    for (int i = 0; i < 8; i++)
        out[i] = -99;
    store(&ready, 0);
    store(&holding, 0);
    store(&sent, 0);
    return 0;
}

static async void put(async_channel *c, intptr_t v, int *err) {
    async_try(await(async_channel_send(c, (void *)v)), err);
}

static async void take(async_channel *c, intptr_t *v, int *err) {
    *v = (intptr_t)async_try(await(async_channel_recv(c)), err);
}

/* ---- plain calls, no loop ----------------------------------------- */

static void test_create_bounds(void **state) {
    async_channel *c;
    (void)state;

    errno = 0;
    assert_null(async_channel_create(0));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(async_channel_create(((size_t)1 << 30) + 1));
    assert_int_equal(errno, EINVAL);
    c = async_channel_create(1);
    assert_non_null(c);
    assert_int_equal(async_channel_size(c), 0);
    assert_int_equal(async_channel_destroy(c), 0);
}

static void test_try_fifo_and_capacity(void **state) {
    async_channel *c = async_channel_create(3);
    void *p = (void *)1;
    (void)state;

    assert_int_equal(async_channel_try_send(c, (void *)10), 0);
    assert_int_equal(async_channel_try_send(c, NULL), 0);
    assert_int_equal(async_channel_try_send(c, (void *)12), 0);
    assert_int_equal(async_channel_size(c), 3);
    assert_int_equal(async_channel_try_send(c, (void *)13), -EAGAIN);
    assert_int_equal(async_channel_size(c), 3);
    assert_int_equal(async_channel_try_recv(c, &p), 0);
    assert_ptr_equal(p, (void *)10);
    assert_int_equal(async_channel_try_send(c, (void *)13), 0);
    assert_int_equal(async_channel_try_recv(c, &p), 0);
    assert_null(p);
    assert_int_equal(async_channel_try_recv(c, &p), 0);
    assert_ptr_equal(p, (void *)12);
    assert_int_equal(async_channel_try_recv(c, &p), 0);
    assert_ptr_equal(p, (void *)13);
    p = (void *)1;
    assert_int_equal(async_channel_try_recv(c, &p), -EAGAIN);
    assert_int_equal(async_channel_size(c), 0);
    /* Round and round the ring. */
    for (intptr_t i = 0; i < 1000; i++) {
        assert_int_equal(async_channel_try_send(c, (void *)i), 0);
        if (i >= 2) {
            assert_int_equal(async_channel_try_recv(c, &p), 0);
            assert_ptr_equal(p, (void *)(i - 2));
        }
    }
    assert_int_equal(async_channel_size(c), 2);
    assert_int_equal(async_channel_destroy(c), 2);
}

static void test_try_after_close(void **state) {
    async_channel *c = async_channel_create(4);
    void *p = NULL;
    (void)state;

    assert_int_equal(async_channel_try_send(c, (void *)1), 0);
    assert_int_equal(async_channel_try_send(c, (void *)2), 0);
    assert_int_equal(async_channel_close(c), 0);
    assert_int_equal(async_channel_close(c), 0);
    assert_int_equal(async_channel_try_send(c, (void *)3), -EPIPE);
    assert_int_equal(async_channel_size(c), 2);
    assert_int_equal(async_channel_try_recv(c, &p), 0);
    assert_ptr_equal(p, (void *)1);
    assert_int_equal(async_channel_try_recv(c, &p), 0);
    assert_ptr_equal(p, (void *)2);
    assert_int_equal(async_channel_try_recv(c, &p), -EPIPE);
    assert_int_equal(async_channel_try_recv(c, &p), -EPIPE);
    assert_int_equal(async_channel_destroy(c), 0);
    /* A full channel closed: the same. */
    c = async_channel_create(1);
    assert_int_equal(async_channel_try_send(c, (void *)5), 0);
    assert_int_equal(async_channel_close(c), 0);
    assert_int_equal(async_channel_try_send(c, (void *)6), -EPIPE);
    assert_int_equal(async_channel_destroy(c), 1);
}

static async int bad_awaits(void) {
    int e1 = 0, e2 = 0;

    async_try(await(async_channel_send(NULL, (void *)1)), &e1);
    async_try(await(async_channel_recv(NULL)), &e2);
    return e1 == ASYNC_EINVAL && e2 == ASYNC_EINVAL;
}

static void test_bad_arguments(void **state) {
    async_channel *c = async_channel_create(1);
    void *p;
    (void)state;

    assert_int_equal(async_channel_try_send(NULL, (void *)1), ASYNC_EINVAL);
    assert_int_equal(async_channel_try_recv(NULL, &p), ASYNC_EINVAL);
    assert_int_equal(async_channel_try_recv(c, NULL), ASYNC_EINVAL);
    assert_int_equal(async_channel_close(NULL), ASYNC_EINVAL);
    assert_int_equal(async_channel_size(NULL), 0);
    assert_int_equal(async_channel_destroy(NULL), 0);
    assert_int_equal(async_run(bad_awaits()), 1);
    assert_int_equal(async_channel_destroy(c), 0);
}

/* ---- one loop ----------------------------------------------------- */

static async void produce(async_channel *c, int n) {
    for (int i = 0; i < n; i++)
        await(async_channel_send(c, (void *)(intptr_t)i));
}

/* A producer fills a channel of 4 and waits; the main task drains it. */
static async int fifo_one_loop(void) {
    async_task *t;
    int in_order = 0, over = 0;

    ch = async_channel_create(4);
    t = async_spawn(produce(ch, ITEMS));
    for (int i = 0; i < 5; i++)
        await(async_sleep(0));
    out[0] = (int)async_channel_size(ch);
    out[1] = async_task_done(t);
    for (int i = 0; i < ITEMS; i++) {
        over += async_channel_size(ch) > 4;
        in_order += (intptr_t)await(async_channel_recv(ch)) == i;
        if (i % 7 == 0)
            await(async_sleep(0));
    }
    await(t);
    out[2] = in_order;
    out[3] = over;
    return (int)async_channel_destroy(ch);
}

static void test_fifo_one_loop(void **state) {
    (void)state;

    assert_int_equal(async_run(fifo_one_loop()), 0);
    assert_int_equal(out[0], 4);
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], ITEMS);
    assert_int_equal(out[3], 0);
}

/* Senders 0 and 1 wait on a full channel of one, in that order. */
static async int senders_in_turn(void) {
    async_task *s[2];
    intptr_t v[3];

    ch = async_channel_create(1);
    await(async_channel_send(ch, (void *)100));
    s[0] = async_spawn(put(ch, 101, &put_err[0]));
    s[1] = async_spawn(put(ch, 102, &put_err[1]));
    await(async_sleep(0));
    await(async_sleep(0));
    for (int i = 0; i < 3; i++)
        v[i] = (intptr_t)await(async_channel_recv(ch));
    await(s[0]);
    await(s[1]);
    async_channel_destroy(ch);
    return v[0] == 100 && v[1] == 101 && v[2] == 102;
}

static void test_senders_in_turn(void **state) {
    (void)state;

    assert_int_equal(async_run(senders_in_turn()), 1);
    assert_int_equal(put_err[0], 0);
    assert_int_equal(put_err[1], 0);
}

/* A full channel of two, two senders waiting, a receiver waiting on an
 * empty one: both closed. */
static async int close_one_loop(void) {
    async_task *s[2], *r;
    intptr_t v;
    int e = 0;

    ch = async_channel_create(2);
    back = async_channel_create(2);
    await(async_channel_send(ch, (void *)1));
    await(async_channel_send(ch, (void *)2));
    s[0] = async_spawn(put(ch, 3, &put_err[0]));
    s[1] = async_spawn(put(ch, 4, &put_err[1]));
    r = async_spawn(take(back, &got[0], &got_err[0]));
    await(async_sleep(0));
    await(async_sleep(0));
    async_channel_close(ch);
    async_channel_close(back);
    await(s[0]);
    await(s[1]);
    await(r);
    out[0] = (int)async_channel_size(ch);
    v = (intptr_t)await(async_channel_recv(ch));
    out[1] = (int)v;
    v = (intptr_t)await(async_channel_recv(ch));
    out[2] = (int)v;
    async_try(await(async_channel_recv(ch)), &e);
    out[3] = e;
    e = 0;
    async_try(await(async_channel_send(ch, (void *)5)), &e);
    out[4] = e;
    out[5] = (int)async_channel_destroy(ch);
    out[6] = (int)async_channel_destroy(back);
    return 0;
}

static void test_close_one_loop(void **state) {
    (void)state;

    assert_int_equal(async_run(close_one_loop()), 0);
    assert_int_equal(put_err[0], -EPIPE);
    assert_int_equal(put_err[1], -EPIPE);
    assert_int_equal(got_err[0], -EPIPE);
    assert_int_equal(out[0], 2); /* 3 and 4 never went in */
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 2);
    assert_int_equal(out[3], -EPIPE);
    assert_int_equal(out[4], -EPIPE);
    assert_int_equal(out[5], 0);
    assert_int_equal(out[6], 0);
}

/* A receiver waiting on an empty channel and a sender waiting on a full
 * one are cancelled. */
static async int cancel_waiters(void) {
    async_task *r, *s;
    void *p = NULL;

    ch = async_channel_create(1);   /* empty: r waits */
    back = async_channel_create(1); /* full: s waits */
    await(async_channel_send(back, (void *)7));
    r = async_spawn(take(ch, &got[0], &got_err[0]));
    s = async_spawn(put(back, 8, &put_err[0]));
    await(async_sleep(0));
    async_cancel(r);
    async_cancel(s);
    await(r);
    await(s);
    /* r took nothing: an item sent now stays in. */
    out[0] = async_channel_try_send(ch, (void *)9);
    await(async_sleep(0));
    out[1] = (int)async_channel_size(ch);
    /* s put nothing in: only 7 is there. */
    out[2] = (int)async_channel_size(back);
    out[3] = async_channel_try_recv(back, &p);
    out[4] = (int)(intptr_t)p;
    out[5] = async_channel_try_recv(back, &p);
    out[6] = (int)async_channel_destroy(ch);
    async_channel_destroy(back);
    return 0;
}

static void test_cancel_waiters(void **state) {
    (void)state;

    assert_int_equal(async_run(cancel_waiters()), 0);
    assert_int_equal(got_err[0], ASYNC_ECANCELED);
    assert_int_equal(put_err[0], ASYNC_ECANCELED);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 1);
    assert_int_equal(out[3], 0);
    assert_int_equal(out[4], 7);
    assert_int_equal(out[5], -EAGAIN);
    assert_int_equal(out[6], 1);
}

/* ---- across loops ------------------------------------------------- */

/* Loop 0 sends CROSS items through a channel of two to loop 1, then
 * ping-pongs ROUNDS times with it over two channels of one. */
static async int across(int loop, void *arg) {
    int in_order = 0;
    (void)arg;

    if (loop == 0) {
        for (intptr_t i = 0; i < CROSS; i++)
            await(async_channel_send(ch, (void *)i));
        for (intptr_t i = 0; i < ROUNDS; i++) {
            await(async_channel_send(ch, (void *)i));
            in_order += (intptr_t)await(async_channel_recv(back)) == i + 1;
        }
        return in_order;
    }
    for (intptr_t i = 0; i < CROSS; i++)
        in_order += (intptr_t)await(async_channel_recv(ch)) == i;
    for (int i = 0; i < ROUNDS; i++) {
        intptr_t v = (intptr_t)await(async_channel_recv(ch));
        await(async_channel_send(back, (void *)(v + 1)));
    }
    return in_order;
}

static void test_across_loops(void **state) {
    int results[2];
    (void)state;

    ch = async_channel_create(2);
    back = async_channel_create(1);
    assert_int_equal(async_run_loops(2, across, NULL, results), 0);
    assert_int_equal(results[0], ROUNDS);
    assert_int_equal(results[1], CROSS);
    assert_int_equal(async_channel_destroy(ch), 0);
    assert_int_equal(async_channel_destroy(back), 0);
}

/* Loop 1's two receivers wait on an empty channel; loop 0 closes it. */
static async int close_across(int loop, void *arg) {
    async_task *r[2];
    (void)arg;

    if (loop == 0) {
        if (await(reach(&ready, 1)) < 0)
            return -1;
        await(async_sleep(0.01));
        return async_channel_close(ch);
    }
    r[0] = async_spawn(take(ch, &got[0], &got_err[0]));
    r[1] = async_spawn(take(ch, &got[1], &got_err[1]));
    await(async_sleep(0));
    store(&ready, 1);
    await(r[0]);
    await(r[1]);
    return 0;
}

static void test_close_across_loops(void **state) {
    int results[2];
    (void)state;

    ch = async_channel_create(4);
    assert_int_equal(async_run_loops(2, close_across, NULL, results), 0);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], 0);
    assert_int_equal(got_err[0], -EPIPE);
    assert_int_equal(got_err[1], -EPIPE);
    assert_int_equal(async_channel_destroy(ch), 0);
}

/* Runs on loop 1 and holds it: loop 0 sends an item meanwhile, which
 * wakes `first`; then `first` is cancelled before it could take it. */
static void hold_and_cancel(void *arg) {
    (void)arg;
    store(&holding, 1);
    for (int i = 0; i < PATIENCE_MS * 10 && !load(&sent); i++)
        usleep(100);
    out[2] = async_cancel(first);
}

static async int wake_passes_on(int loop, void *arg) {
    (void)arg;

    if (loop == 0) {
        if (await(reach(&ready, 1)) < 0)
            return -1;
        out[0] = async_loop_post(async_loop_at(1), hold_and_cancel, NULL);
        if (await(reach(&holding, 1)) < 0)
            return -1;
        out[1] = async_channel_try_send(ch, (void *)77);
        store(&sent, 1);
        return 0;
    }
    first = async_spawn(take(ch, &got[0], &got_err[0]));
    second = async_spawn(take(ch, &got[1], &got_err[1]));
    await(async_sleep(0));
    store(&ready, 1);
    await(first);
    /* A wake-up lost with `first` would leave `second` waiting for ever
     * (a channel wait is not a deadlock): 10 s, then it is cancelled. */
    async_try(await(async_wait_for(second, 10)), &out[4]);
    out[3] = (int)async_channel_size(ch);
    return 0;
}

static void test_cancelled_wake_passes_on(void **state) {
    int results[2];
    (void)state;

    ch = async_channel_create(4);
    assert_int_equal(async_run_loops(2, wake_passes_on, NULL, results), 0);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], 0);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], 1);
    assert_int_equal(got_err[0], ASYNC_ECANCELED);
    assert_int_equal(out[4], 0);
    assert_int_equal(got_err[1], 0);
    assert_int_equal(got[1], 77);
    assert_int_equal(out[3], 0);
    assert_int_equal(async_channel_destroy(ch), 0);
}

/* An argument runs only the tests whose names match it (a glob). */
int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_create_bounds, setup),
        cmocka_unit_test_setup(test_try_fifo_and_capacity, setup),
        cmocka_unit_test_setup(test_try_after_close, setup),
        cmocka_unit_test_setup(test_bad_arguments, setup),
        cmocka_unit_test_setup(test_fifo_one_loop, setup),
        cmocka_unit_test_setup(test_senders_in_turn, setup),
        cmocka_unit_test_setup(test_close_one_loop, setup),
        cmocka_unit_test_setup(test_cancel_waiters, setup),
        cmocka_unit_test_setup(test_across_loops, setup),
        cmocka_unit_test_setup(test_close_across_loops, setup),
        cmocka_unit_test_setup(test_cancelled_wake_passes_on, setup),
    };

    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
