/*
 * test_post.c -- async_loop_post, async_loop_retain and
 * async_loop_release: a plain thread (as a library's callback thread
 * would) wakes a task through a post; callbacks run on the loop's
 * thread, outside any task, in the order one thread posted them; a
 * callback may post again; a loop whose run has ended refuses posts
 * with -ESHUTDOWN, and every post accepted before runs exactly once; a
 * reference held keeps a waiting loop from being taken for a deadlock,
 * and once released it no longer does; bad arguments.
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

enum { ORDERED = 20000, FLOOD = 200000, CHAIN = 100 };

/* What the callbacks saw, written on the loop's thread only (and read
 * by the test once the loop and the posting threads have ended). */
static int ran[FLOOD];
static int log_[2 * ORDERED], logged;
static int off_thread, in_task;
static pthread_t loop_thread;
static int expected; /* callbacks after which `done` is set */
static async_event done;
static int chain; /* callbacks of the chain so far */
static async_loop *held;

static int setup(void **state) {
    (void)state;
    memset(ran, 0, sizeof(ran));
    logged = off_thread = in_task = chain = 0;
    expected = 1;
    held = NULL;
    async_event_init(&done);
    return 0;
}

/* The callback: logs its id, checks where it runs, and sets `done` at
 * the expected count. */
static void on_post(void *arg) {
    int id = (int)(intptr_t)arg;

    if (id >= 0 && id < FLOOD)
        ran[id]++;
    if (logged < 2 * ORDERED)
        log_[logged] = id;
    logged++;
    off_thread |= !pthread_equal(pthread_self(), loop_thread);
    in_task |= async__current() != NULL;
    if (logged == expected)
        async_event_set(&done);
}

/* A plain thread's posts: ids first to first + n - 1, after `delay_us`,
 * stopping at the first refusal; then it drops its reference. */
struct poster {
    pthread_t thread;
    async_loop *loop; /* a reference of the thread's own */
    int first, n, delay_us;
    int accepted, refused, refused_after, other;
};

static void *posting(void *arg) {
    struct poster *p = arg;

    if (p->delay_us)
        usleep(p->delay_us);
    for (int i = 0; i < p->n; i++) {
        int rc =
            async_loop_post(p->loop, on_post, (void *)(intptr_t)(p->first + i));
        if (rc == 0) {
            p->accepted++;
            continue;
        }
        if (rc != -ESHUTDOWN) {
            p->other++;
            break;
        }
        p->refused++;
        /* Once refused, always refused. */
        for (int k = 0; k < 10; k++)
            p->refused_after +=
                async_loop_post(p->loop, on_post, NULL) == -ESHUTDOWN;
        break;
    }
    async_loop_release(p->loop);
    return NULL;
}

static void start(struct poster *p, int first, int n, int delay_us) {
    p->loop = async_loop_retain(async_loop_current());
    p->first = first;
    p->n = n;
    p->delay_us = delay_us;
    assert_int_equal(pthread_create(&p->thread, NULL, posting, p), 0);
}

/* One post from a thread that waits 100 ms first: meanwhile the loop
 * has nothing to do but wait for it. */
static async int wait_for_one_post(struct poster *p) {
    loop_thread = pthread_self();
    start(p, 7, 1, 100000);
    await(async_event_wait(&done));
    return 5;
}

static void test_post_wakes_task(void **state) {
    struct poster p = {0};
    int rc;
    (void)state;

    rc = async_run(wait_for_one_post(&p));
    assert_int_equal(pthread_join(p.thread, NULL), 0);
    assert_int_equal(rc, 5);
    assert_int_equal(p.accepted, 1);
    assert_int_equal(ran[7], 1);
    assert_int_equal(logged, 1);
    assert_int_equal(off_thread, 0);
    assert_int_equal(in_task, 0);
}

/* Two threads post ORDERED callbacks each at once. */
static async int two_posters(struct poster *p) {
    loop_thread = pthread_self();
    expected = 2 * ORDERED;
    start(&p[0], 0, ORDERED, 0);
    start(&p[1], ORDERED, ORDERED, 0);
    await(async_event_wait(&done));
    return 0;
}

static void test_order_per_thread(void **state) {
    struct poster p[2];
    int next[2] = {0, ORDERED}, rc;
    (void)state;

    memset(p, 0, sizeof(p));
    rc = async_run(two_posters(p));
    /* The threads write to p: joined before anything may fail. */
    assert_int_equal(pthread_join(p[0].thread, NULL), 0);
    assert_int_equal(pthread_join(p[1].thread, NULL), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(p[0].accepted, ORDERED);
    assert_int_equal(p[1].accepted, ORDERED);
    assert_int_equal(logged, 2 * ORDERED);
    for (int i = 0; i < 2 * ORDERED; i++) {
        int t = log_[i] >= ORDERED;
        assert_int_equal(log_[i], next[t]);
        next[t]++;
    }
    assert_int_equal(next[0], ORDERED);
    assert_int_equal(next[1], 2 * ORDERED);
    assert_int_equal(off_thread, 0);
    assert_int_equal(in_task, 0);
}

/* A callback that posts the next one, from the loop's own thread. */
static void link_(void *arg) {
    (void)arg;
    if (++chain == CHAIN) {
        async_event_set(&done);
        return;
    }
    if (async_loop_post(async_loop_current(), link_, NULL) != 0)
        async_event_set(&done);
}

static async int run_chain(void) {
    int rc = async_loop_post(async_loop_current(), link_, NULL);

    if (rc != 0)
        return rc;
    await(async_event_wait(&done));
    return chain;
}

static void test_post_from_callback(void **state) {
    (void)state;

    assert_int_equal(async_run(run_chain()), CHAIN);
}

/* Keeps a reference to its loop past the run's end. */
static async int keep_loop(void) {
    held = async_loop_retain(async_loop_current());
    return held == async_loop_current() ? 0 : -1;
}

static void test_post_after_end(void **state) {
    (void)state;

    assert_int_equal(async_run(keep_loop()), 0);
    assert_non_null(held);
    assert_int_equal(async_loop_post(held, on_post, (void *)1), -ESHUTDOWN);
    assert_int_equal(async_loop_cancel(held), -ESHUTDOWN);
    assert_ptr_equal(async_loop_retain(held), held);
    async_loop_release(held);
    assert_int_equal(async_loop_post(held, on_post, (void *)1), -ESHUTDOWN);
    async_loop_release(held);
    assert_int_equal(ran[1], 0);
}

/* The same for a loop of async_run_loops, kept by loop 0. */
static async int keep_loop_1(int loop, void *arg) {
    (void)arg;
    if (loop == 0)
        held = async_loop_retain(async_loop_at(1));
    return 0;
}

static void test_post_after_end_of_loops(void **state) {
    (void)state;

    assert_int_equal(async_run_loops(2, keep_loop_1, NULL, NULL), 0);
    assert_non_null(held);
    assert_int_equal(async_loop_post(held, on_post, (void *)2), -ESHUTDOWN);
    async_loop_release(held);
    assert_int_equal(ran[2], 0);
}

/* A thread posts as fast as it can while the loop ends: it stops once
 * 1000 callbacks have run. */
static async int end_under_posts(struct poster *p) {
    loop_thread = pthread_self();
    expected = 1000;
    start(p, 0, FLOOD, 0);
    await(async_event_wait(&done));
    return 0;
}

static void test_accepted_posts_run_once(void **state) {
    struct poster p = {0};
    int rc;
    (void)state;

    rc = async_run(end_under_posts(&p));
    assert_int_equal(pthread_join(p.thread, NULL), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(p.other, 0);
    assert_true(p.accepted >= 1000);
    /* The accepted ones are the first ids; each ran once, and the
     * refused one and those after it never. */
    for (int i = 0; i < FLOOD; i++)
        assert_int_equal(ran[i], i < p.accepted);
    assert_int_equal(logged, p.accepted);
    if (p.refused) {
        assert_int_equal(p.refused, 1);
        assert_int_equal(p.refused_after, 10);
    }
    assert_int_equal(off_thread, 0);
}

/* A post that sets nothing, then the thread lets go: the loop waits for
 * an event nobody can set any more. */
static void *post_nothing(void *arg) {
    async_loop *loop = arg;

    usleep(50000);
    async_loop_post(loop, nothing, NULL);
    async_loop_release(loop);
    return NULL;
}

static async int released_then_stuck(pthread_t *thread) {
    async_loop *loop = async_loop_retain(async_loop_current());

    if (pthread_create(thread, NULL, post_nothing, loop) != 0)
        return -2;
    await(async_event_wait(&done));
    return 0;
}

static void test_release_ends_protection(void **state) {
    pthread_t thread;
    int rc, err;
    (void)state;

    errno = 0;
    rc = async_run(released_then_stuck(&thread));
    err = errno;
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(rc, -1);
    assert_int_equal(err, EDEADLK);
}

static async int bad_posts(void) {
    if (async_loop_post(NULL, on_post, NULL) != ASYNC_EINVAL)
        return 1;
    if (async_loop_post(async_loop_current(), NULL, NULL) != ASYNC_EINVAL)
        return 2;
    if (async_loop_cancel(NULL) != ASYNC_EINVAL)
        return 3;
    if (async_loop_retain(NULL) != NULL)
        return 4;
    async_loop_release(NULL);
    return 0;
}

static void test_bad_arguments(void **state) {
    (void)state;

    assert_int_equal(async_run(bad_posts()), 0);
    assert_int_equal(async_loop_post(NULL, on_post, NULL), ASYNC_EINVAL);
    assert_int_equal(logged, 0);
}

/* An argument runs only the tests whose names match it (a glob). */
int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_post_wakes_task, setup),
        cmocka_unit_test_setup(test_order_per_thread, setup),
        cmocka_unit_test_setup(test_post_from_callback, setup),
        cmocka_unit_test_setup(test_post_after_end, setup),
        cmocka_unit_test_setup(test_post_after_end_of_loops, setup),
        cmocka_unit_test_setup(test_accepted_posts_run_once, setup),
        cmocka_unit_test_setup(test_release_ends_protection, setup),
        cmocka_unit_test_setup(test_bad_arguments, setup),
    };

    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
