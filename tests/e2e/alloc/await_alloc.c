/*
 * await_alloc.c -- awaits allocate nothing: the program counts every
 * malloc, calloc and realloc (the build wraps them) around a million
 * awaits of a call that completes at once, awaits that suspend, nested
 * awaits, gathers, wait_for and timeout blocks.  Child frames are
 * embedded in the caller's frame, so every count must be 0.  Spawning
 * allocates: tasks share chunks of the task allocator (one allocation
 * for many tasks), and a frame over 1 KiB is allocated apart.  An
 * await through an async function pointer takes its frame from the task
 * allocator: once a block of that size has been freed, none either.
 */
#include <async.h>
#include <stdio.h>
#include <stdlib.h>

static long allocations;

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n) {
    allocations++;
    return __real_malloc(n);
}

void *__wrap_aligned_alloc(size_t a, size_t n) {
    allocations++;
    return __real_aligned_alloc(a, n);
}

void *__wrap_calloc(size_t k, size_t n) {
    allocations++;
    return __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n) {
    allocations++;
    return __real_realloc(p, n);
}

async int add1(int x) { return x + 1; }

async int big_add1(int x) {
    char pad[2048];

    pad[0] = (char)x;
    await(async_sleep(0));
    return pad[0] + 1;
}

async int yield_add(int x) {
    await(async_sleep(0));
    return x + 1;
}

async int nested(int x) { return await(add1(await(yield_add(x)))) + 1; }

async int deadline(int x) {
    int err;
    int r = 0;
    async_timeout(10.0, &err) { r = await(yield_add(x)); }
    return err ? -1 : r;
}

typedef async int step_fn(int x);

static step_fn *const steps[] = {add1, yield_add};

static void report(const char *what, long before) {
    long n = allocations - before;

    printf("%s: %ld allocation%s\n", what, n, n == 1 ? "" : "s");
}

async int amain(void) {
    long sum = 0, before;
    int a = 0, b = 0;

    /* Warm up what grows once per run (the timer heap). */
    sum += await(async_wait_for(yield_add(0), 10.0));

    before = allocations;
    for (int i = 0; i < 1000000; i++)
        sum += await(add1(i));
    report("1000000 awaits that complete at once", before);

    before = allocations;
    for (int i = 0; i < 10000; i++)
        sum += await(yield_add(i));
    report("10000 awaits that suspend", before);

    before = allocations;
    for (int i = 0; i < 10000; i++)
        sum += await(nested(i));
    report("10000 nested awaits", before);

    before = allocations;
    for (int i = 0; i < 10000; i++) {
        await(async_gather(a = add1(i), b = yield_add(i)));
        sum += a + b;
    }
    report("10000 gathers of two calls", before);

    before = allocations;
    for (int i = 0; i < 10000; i++)
        sum += await(async_wait_for(yield_add(i), 10.0));
    report("10000 wait_for", before);

    before = allocations;
    for (int i = 0; i < 10000; i++)
        sum += await(deadline(i));
    report("10000 timeout blocks", before);

    /* The counter works: spawning allocates. */
    before = allocations;
    for (int i = 0; i < 1000; i++) {
        async_task *t = async_spawn(add1(i));
        sum += await(t);
        async_task_release(t);
    }
    report("1000 spawns, one at a time (one chunk)", before);

    before = allocations;
    for (int i = 0; i < 1000; i++) {
        async_task *t = async_spawn(big_add1(i % 100));
        sum += await(t);
        async_task_release(t);
    }
    report("1000 spawns of a 2 KiB frame (frames apart)", before);

    /* Warm up the task allocator's size classes of the two frames. */
    sum += await(steps[0](0)) + await(steps[1](0));

    before = allocations;
    for (int i = 0; i < 1000000; i++)
        sum += await(steps[0](i));
    report("1000000 indirect awaits that complete at once", before);

    before = allocations;
    for (int i = 0; i < 10000; i++)
        sum += await(steps[1](i));
    report("10000 indirect awaits that suspend", before);

    before = allocations;
    for (int i = 0; i < 10000; i++) {
        await(async_gather(a = steps[0](i), b = steps[1](i)));
        sum += a + b;
    }
    report("10000 gathers of two indirect calls", before);

    before = allocations;
    for (int i = 0; i < 10000; i++)
        sum += await(async_wait_for(steps[1](i), 10.0));
    report("10000 indirect wait_for", before);

    printf("sum %ld\n", sum);
    return 0;
}

int main(void) { return async_run(amain()); }
