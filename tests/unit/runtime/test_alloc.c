/*
 * test_alloc.c -- the runtime's memory: when spawned tasks are freed, and
 * what happens when malloc, aligned_alloc or realloc fail.  The
 * executable is linked with --wrap for malloc, aligned_alloc, realloc and
 * free, so the runtime's calls reach the counting, failing wrappers
 * below.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frames.h"
#include "internal.h"
#include "task_alloc.h"
#include "timer_heap.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__real_aligned_alloc(size_t alignment, size_t size);
void *__wrap_aligned_alloc(size_t alignment, size_t size);
void *__real_realloc(void *ptr, size_t size);
void __real_free(void *ptr);
void *__wrap_malloc(size_t size);
void *__wrap_realloc(void *ptr, size_t size);
void __wrap_free(void *ptr);

enum { MAX_BLOCKS = 64 };

static int fail_mallocs;  /* fail this many more malloc calls */
static int fail_reallocs; /* ...realloc calls; -1: all of them */
static int n_mallocs;     /* malloc and aligned_alloc calls seen */
static int fail_nth;      /* fail the n-th of those calls from now; 0: none */

/* Live blocks: from malloc (frames that live apart from their task),
 * from aligned_alloc (the task allocator's chunks), and timer arrays
 * from realloc. */
static void *blocks[MAX_BLOCKS];
static void *chunks[MAX_BLOCKS];
static void *arrays[MAX_BLOCKS];

static int count(void *const *set) {
    int n = 0;

    for (int i = 0; i < MAX_BLOCKS; i++)
        n += set[i] != NULL;
    return n;
}

static void set_put(void **set, void *p) {
    for (int i = 0; i < MAX_BLOCKS; i++)
        if (set[i] == NULL) {
            set[i] = p;
            return;
        }
    fail_msg("too many live blocks");
}

static int set_take(void **set, void *p) {
    for (int i = 0; i < MAX_BLOCKS; i++)
        if (set[i] == p) {
            set[i] = NULL;
            return 1;
        }
    return 0;
}

/* Whether this malloc or aligned_alloc call is to fail. */
static int fail_now(void) {
    n_mallocs++;
    if (fail_nth > 0 && --fail_nth == 0) {
        errno = ENOMEM;
        return 1;
    }
    if (fail_mallocs > 0) {
        fail_mallocs--;
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t size) {
    void *p = fail_now() ? NULL : __real_malloc(size);

    if (p != NULL)
        set_put(blocks, p);
    return p;
}

void *__wrap_calloc(size_t n, size_t size) {
    void *p = fail_now() ? NULL : __real_calloc(n, size);

    if (p != NULL)
        set_put(blocks, p);
    return p;
}

void *__wrap_aligned_alloc(size_t alignment, size_t size) {
    void *p = fail_now() ? NULL : __real_aligned_alloc(alignment, size);

    if (p != NULL)
        set_put(chunks, p);
    return p;
}

/* Spawned tasks not freed yet, plus frames that live apart. */
static int live(void) { return count_heap_tasks() + count(blocks); }

void *__wrap_realloc(void *ptr, size_t size) {
    void *p;

    if (fail_reallocs != 0) {
        if (fail_reallocs > 0)
            fail_reallocs--;
        errno = ENOMEM;
        return NULL;
    }
    p = __real_realloc(ptr, size);
    if (p != NULL) {
        if (ptr != NULL)
            assert_true(set_take(arrays, ptr));
        set_put(arrays, p);
    }
    return p;
}

void __wrap_free(void *ptr) {
    if (ptr != NULL && !set_take(blocks, ptr) && !set_take(chunks, ptr))
        assert_true(set_take(arrays, ptr));
    __real_free(ptr);
}

static int setup(void **state) {
    (void)state;
    events_reset();
    fail_mallocs = 0;
    fail_reallocs = 0;
    fail_nth = 0;
    n_mallocs = 0;
    return 0;
}

/* After every test: async_run freed everything it allocated. */
static int teardown(void **state) {
    (void)state;
    assert_int_equal(count(blocks), 0);
    assert_int_equal(count(chunks), 0);
    assert_int_equal(count(arrays), 0);
    return 0;
}

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

/* The number of live task blocks at each point of lifecycle, and the
 * handles it got. */
static int lc_live[6];
static async_task *lc_a, *lc_b;

/* Spawns and releases tasks at various points, sampling the number of
 * live task blocks. */
static async int lifecycle(void) {
    lc_a = async_spawn(sleeper(1, 0));
    lc_live[0] = live();
    async_task_release(lc_a);
    lc_live[1] = live();        /* still running */
    for (int y = 0; y < 2; y++) /* a needs two passes */
        await(async_sleep(0));
    lc_live[2] = live(); /* freed when it ended */
    lc_b = async_spawn(yielder(2, 0));
    for (int y = 0; y < 2; y++)
        await(async_sleep(0));
    lc_live[3] = live(); /* done, not released */
    async_task_release(lc_b);
    lc_live[4] = live();
    async_spawn(sleeper(3, 10.0));
    lc_live[5] = live(); /* left to async_run */
    return 0;
}

static void test_task_lifetimes(void **state) {
    static const int want_live[] = {1, 1, 0, 1, 0, 1};

    (void)state;
    lc_a = lc_b = NULL;
    assert_int_equal(async_run(lifecycle()), 0);
    for (int i = 0; i < 6; i++)
        assert_int_equal(lc_live[i], want_live[i]);
    assert_true(lc_a != NULL && lc_b != NULL);
}

/* The first spawn fails (its malloc does). */
static async int spawn_oom(void) {
    async_task *a, *b;
    int r;

    fail_mallocs = 1;
    a = async_spawn(sleeper(1, 0));
    b = async_spawn(sleeper(2, 0));
    r = await(b);
    async_task_release(b);
    return (a == NULL) + 2 * r;
}

static void test_spawn_out_of_memory(void **state) {
    static const int want[] = {2, 102};

    (void)state;
    assert_int_equal(async_run(spawn_oom()), 1 + 2 * 2);
    assert_events(want, 2);
}

static void test_spawn_too_large(void **state) {
    (void)state;
    errno = 0;
    assert_null(test_task_new(SIZE_MAX - 8, stuck__resume, "huge", 0, 0,
                              ASYNC__RESULT_NONE));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(n_mallocs, 0);
}

/* A task whose frame (4 KiB) lives apart from it. */
static async long big(void) {
    char buf[4000];
    long sum = 0;

    memset(buf, 1, sizeof buf);
    await(async_sleep(0));
    for (size_t i = 0; i < sizeof buf; i++)
        sum += buf[i];
    return sum;
}

/* What hold_big saw: live task blocks after each step, big's result. */
static int hb_live[3];
static long hb_result;

/* Spawns big() and keeps the handle. */
static async int hold_big(void) {
    async_task *t = async_spawn(big());

    assert_non_null(t);
    hb_live[0] = live(); /* task and frame */
    await(t);
    hb_live[1] = live(); /* the frame is gone */
    hb_result = async_task_result(t, long);
    async_task_release(t);
    hb_live[2] = live();
    return 0;
}

/* A finished task whose handle is held keeps its result, not its large
 * frame. */
static void test_finished_task_frees_large_frame(void **state) {
    (void)state;
    assert_int_equal(async_run(hold_big()), 0);
    assert_int_equal(hb_live[0], 2);
    assert_int_equal(hb_live[1], 1);
    assert_int_equal(hb_live[2], 0);
    assert_int_equal(hb_result, 4000);
}

/* Live task blocks and frames apart at each step of release_after_waits. */
static int rw_live[7];

/*
 * Handles of finished tasks, released after async_wait or
 * async_gather_tasks, or by a group when each member finishes: each
 * task's block and its frame living apart are freed at once, before
 * async_run returns.
 */
static async int release_after_waits(void) {
    async_task *t[3];
    async_wait_node nodes[3];
    async_group_member slots[2];
    async_group g;

    t[0] = async_spawn(sleeper(1, 0));
    t[1] = async_spawn(big());
    t[2] = async_spawn(yielder(2, 3));
    rw_live[0] = live(); /* three tasks and big's frame */
    await(async_wait(t, 3, nodes, ASYNC_ALL_COMPLETED, ASYNC_NO_TIMEOUT));
    rw_live[1] = live(); /* big's frame is gone */
    assert_int_equal(async_task_result(t[1], long), 4000);
    for (int i = 0; i < 3; i++)
        async_task_release(t[i]);
    rw_live[2] = live();

    t[0] = async_spawn(big());
    t[1] = async_spawn(yielder(3, 2));
    await(async_gather_tasks(t, 2, NULL));
    rw_live[3] = live();
    async_task_release(t[0]);
    async_task_release(t[1]);
    rw_live[4] = live();

    async_group_init(&g, slots, 2);
    async_group_add(&g, async_spawn(big()));
    async_group_add(&g, async_spawn(sleeper(4, 0.001)));
    rw_live[5] = live();
    await(async_group_wait(&g));
    rw_live[6] = live();
    return 0;
}

static void test_released_after_waits(void **state) {
    static const int want[] = {4, 3, 0, 2, 0, 3, 0};

    (void)state;
    assert_int_equal(async_run(release_after_waits()), 0);
    for (int i = 0; i < 7; i++)
        assert_int_equal(rw_live[i], want[i]);
}

/* A frame too large to stay with its task: a split task, which takes
 * two allocations (never polled here, so any poll function does). */
enum { BIG_FRAME = 4096 };

/* Out of memory for either part of a split task: nothing leaks. */
static void test_split_spawn_out_of_memory(void **state) {
    (void)state;
    for (int k = 1; k <= 3; k++) {
        fail_nth = k;
        async_task *t = test_task_new(BIG_FRAME, stuck__resume, "big", 0,
                                      sizeof(long), ASYNC__RESULT_SIGNED);
        if (k <= 2) {
            assert_null(t);
        } else {
            assert_non_null(t); /* two allocations: the third is not hit */
            async__task_free_split(t);
            async__task_mem_free(t);
            async__task_mem_reset();
        }
        assert_int_equal(count(blocks), 0);
        assert_int_equal(count(chunks), 0);
    }
    fail_nth = 0;
}

/* A root sleeping 50 ms that counts its polls.  Hand-written: the test
 * counts how often the loop polls the frame, which code in the dialect
 * cannot see. */
struct counted_sleep__frame {
    int _state;
    int polls;
    struct async_sleep__frame _a1;
    int _ret;
};

static int counted_sleep__resume(void *frame) {
    struct counted_sleep__frame *f = frame;

    f->polls++;
    switch (f->_state) {
    case 0:
        break;
    case 1:
        goto await1;
    default:
        return ASYNC__READY;
    }
    async_sleep__init(&f->_a1, 0.050);
    f->_state = 1;
await1:
    if (async_sleep__resume(&f->_a1) == ASYNC__PENDING)
        return ASYNC__PENDING;
    f->_ret = 0;
    f->_state = -1;
    return ASYNC__READY;
}

/* When the timer heap cannot grow, a sleep still lasts its time: it polls
 * the clock and retries arming its timer on every pass.  One failure:
 * armed on the second poll and woken by the timer on the third, instead
 * of being polled on every pass. */
static void test_sleep_when_timer_heap_cannot_grow(void **state) {
    struct counted_sleep__frame f = {0};
    double start = async_time();

    (void)state;
    fail_reallocs = 1;
    assert_int_equal(RUN(counted_sleep, &f), 0);
    assert_true(async_time() - start >= 0.050);
    assert_int_equal(f.polls, 3);

    /* Every attempt failing: polled on each pass until the deadline. */
    memset(&f, 0, sizeof(f));
    fail_reallocs = -1;
    start = async_time();
    assert_int_equal(RUN(counted_sleep, &f), 0);
    fail_reallocs = 0;
    assert_true(async_time() - start >= 0.050);
    assert_true(f.polls > 3);
}

static void test_heap_push_reports_enomem(void **state) {
    async__timer_heap h;
    async__timer t = {.deadline_ns = 5};

    (void)state;
    async__timer_heap_init(&h);
    fail_reallocs = 1;
    assert_int_equal(async__timer_heap_push(&h, &t), -ENOMEM);
    assert_int_equal(h.len, 0);
    assert_int_equal(t.index, ASYNC__TIMER_NONE);
    assert_int_equal(async__timer_heap_push(&h, &t), 0);
    assert_ptr_equal(async__timer_heap_top(&h), &t);
    async__timer_heap_free(&h);
}

static async int unbounded_put(async_queue *q, intptr_t item) {
    int err;

    fail_mallocs = 1;
    async_try(await(async_queue_put(q, (void *)item)), &err);
    return err;
}

/* An unbounded queue allocates nothing until the first put, grows by
 * doubling, fails a put with ASYNC_ENOMEM (inserting nothing) when it
 * cannot grow, and async_queue_free gives its storage back. */
static void test_unbounded_queue_out_of_memory(void **state) {
    async_queue q;
    int before = count(blocks);
    void *item;

    (void)state;
    assert_int_equal(async_queue_init_unbounded(&q), 0);
    assert_int_equal(count(blocks), before);
    fail_mallocs = 1;
    assert_int_equal(async_queue_put_nowait(&q, (void *)1), ASYNC_ENOMEM);
    assert_int_equal(async_queue_size(&q), 0);
    for (intptr_t i = 1; i <= 8; i++)
        assert_int_equal(async_queue_put_nowait(&q, (void *)i), 0);
    assert_int_equal(count(blocks), before + 1);
    fail_mallocs = 1;
    assert_int_equal(async_queue_put_nowait(&q, (void *)9), ASYNC_ENOMEM);
    assert_int_equal(async_run(unbounded_put(&q, 9)), ASYNC_ENOMEM);
    assert_int_equal(async_queue_size(&q), 8);
    assert_int_equal(async_queue_get_nowait(&q, &item), 0);
    assert_ptr_equal(item, (void *)1);
    /* Wrapped round the ring of 8, then grown to 16 in order. */
    for (intptr_t i = 9; i <= 10; i++)
        assert_int_equal(async_queue_put_nowait(&q, (void *)i), 0);
    assert_int_equal(count(blocks), before + 1);
    for (intptr_t i = 2; i <= 10; i++) {
        assert_int_equal(async_queue_get_nowait(&q, &item), 0);
        assert_ptr_equal(item, (void *)i);
    }
    assert_int_equal(async_queue_free(&q), 0);
    assert_int_equal(count(blocks), before);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_finished_task_frees_large_frame,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_spawn_out_of_memory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_task_lifetimes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_released_after_waits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spawn_out_of_memory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spawn_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sleep_when_timer_heap_cannot_grow,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_unbounded_queue_out_of_memory,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_heap_push_reports_enomem, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
