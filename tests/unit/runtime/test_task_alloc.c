/*
 * test_task_alloc.c -- the task allocator: alignment of every size class,
 * finding the live tasks, reusing freed blocks, and giving chunks back.
 * aligned_alloc and free are wrapped at link time so the test counts the
 * allocator's chunks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "task_alloc.h"

void *__real_aligned_alloc(size_t alignment, size_t size);
void __real_free(void *ptr);
void *__wrap_aligned_alloc(size_t alignment, size_t size);
void __wrap_free(void *ptr);

enum { MAX_CHUNKS = 4096 };

static void *chunks[MAX_CHUNKS];
static int n_chunks;

void *__wrap_aligned_alloc(size_t alignment, size_t size) {
    void *p = __real_aligned_alloc(alignment, size);

    if (p != NULL) {
        assert_true(n_chunks < MAX_CHUNKS);
        chunks[n_chunks++] = p;
    }
    return p;
}

void __wrap_free(void *ptr) {
    for (int i = 0; i < n_chunks; i++)
        if (chunks[i] == ptr) {
            chunks[i] = chunks[--n_chunks];
            break;
        }
    __real_free(ptr);
}

static int never_polled(void *frame) {
    (void)frame;
    fail_msg("a task of this test was polled");
    return ASYNC__READY;
}

static const async__fn fn_any = {never_polled, "any", 0, 0, 0, 0};
static const async__fn fn_8 = {never_polled, "eight", 0, 0, 0, 8};

static void count_live(async_task *t, void *arg) {
    (void)t;
    ++*(size_t *)arg;
}

static size_t live(void) {
    size_t n = 0;

    async__task_mem_each(count_live, &n);
    return n;
}

static int teardown(void **state) {
    (void)state;
    async__task_mem_reset();
    assert_int_equal(n_chunks, 0);
    return 0;
}

static void free_split(async_task *t, void *arg) {
    (void)arg;
    async__task_free_split(t);
}

/* Every frame size up to the largest that stays with its task, with
 * both alignments: the frame is aligned as asked (one aligned for any
 * type lives apart from its task), and it does not overlap the next
 * block (the whole frame is written). */
static void test_alignment_of_every_size(void **state) {
    (void)state;
    for (size_t size = 1; size <= 1024; size++) {
        async_task *a = async__task_new(&fn_any, size);
        async_task *b = async__task_new(&fn_8, size);
        char *fa, *fb;

        assert_non_null(a);
        assert_non_null(b);
        fa = async__task_frame(a);
        fb = async__task_frame(b);
        assert_int_equal((uintptr_t)fa % _Alignof(max_align_t), 0);
        assert_int_equal((uintptr_t)fb % 8, 0);
        memset(fa, 0xa5, size);
        memset(fb, 0x5a, size);
        assert_ptr_equal(a->fn, &fn_any);
        assert_ptr_equal(b->fn, &fn_8);
        assert_true(a->flags & ASYNC__TASK_SPLIT);
        assert_false(b->flags & ASYNC__TASK_SPLIT);
    }
    assert_int_equal(live(), 2 * 1024);
    async__task_mem_each(free_split, NULL);
}

/* Freed tasks are no longer found, and their blocks are handed out
 * again before new ones. */
static void test_free_and_reuse(void **state) {
    enum { N = 10000 };
    static async_task *t[N];

    (void)state;
    for (int i = 0; i < N; i++)
        assert_non_null(t[i] = async__task_new(&fn_8, 40));
    assert_int_equal(live(), N);
    for (int i = 0; i < N; i += 2)
        async__task_mem_free(t[i]);
    assert_int_equal(live(), N / 2);
    for (int i = 0; i < N; i += 2) {
        async_task *again = async__task_new(&fn_8, 40);
        int reused = 0;

        for (int j = 0; j < N && !reused; j += 2)
            reused = again == t[j];
        assert_true(reused);
    }
    assert_int_equal(live(), N);
}

/* A million tasks fill many chunks; once they are freed, the chunks go
 * back but one kept for reuse. */
static void test_chunks_given_back(void **state) {
    enum { N = 1000000 };
    async_task **t = calloc(N, sizeof *t);

    (void)state;
    assert_non_null(t);
    for (int i = 0; i < N; i++)
        assert_non_null(t[i] = async__task_new(&fn_8, 48));
    assert_true(n_chunks > 10); /* 80 MB in 2 MiB chunks */
    assert_int_equal(live(), N);
    for (int i = 0; i < N; i++)
        async__task_mem_free(t[i]);
    assert_int_equal(live(), 0);
    assert_int_equal(n_chunks, 1);
    free(t);
}

/* Blocks larger than a chunk's classes (split tasks keeping a large
 * result) come from malloc and are found as well. */
static void test_big_blocks(void **state) {
    async_task *big = async__task_mem_alloc(64 * 1024);
    async_task *small = async__task_mem_alloc(64);

    (void)state;
    assert_non_null(big);
    assert_non_null(small);
    assert_true(big->flags & ASYNC__TASK_BIG);
    assert_false(small->flags & ASYNC__TASK_BIG);
    big->fn = &fn_any;
    small->fn = &fn_any;
    assert_int_equal((uintptr_t)big % _Alignof(max_align_t), 0);
    assert_int_equal(live(), 2);
    async__task_mem_free(big);
    assert_int_equal(live(), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_alignment_of_every_size, teardown),
        cmocka_unit_test_teardown(test_free_and_reuse, teardown),
        cmocka_unit_test_teardown(test_chunks_given_back, teardown),
        cmocka_unit_test_teardown(test_big_blocks, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
