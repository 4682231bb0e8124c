/*
 * typedef names as result and parameter types: a typedef'd anonymous
 * struct, a pointer typedef, an enum typedef and an integer typedef.
 */
#include <async.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    int16_t lo, hi;
} range_t;

typedef const char *str_t;
typedef enum { SMALL, LARGE } size_class;
typedef uint8_t byte;

async range_t widen(range_t r, byte by) {
    await(async_sleep(0));
    r.lo -= by;
    r.hi += by;
    return r;
}

async str_t describe(size_class c) {
    await(async_sleep(0));
    return c == SMALL ? "small" : "large";
}

async size_class classify(range_t r) {
    await(async_sleep(0));
    return r.hi - r.lo > 10 ? LARGE : SMALL;
}

async uint64_t mask(byte bits) {
    await(async_sleep(0));
    return bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
}

async int amain(void) {
    range_t r = {0, 4};
    for (int i = 0; i < 3; i++) {
        r = await(widen(r, (byte)(i + 1)));
        printf("range %d..%d is %s\n", r.lo, r.hi,
               await(describe(await(classify(r)))));
    }
    printf("mask: %llx %llx\n", (unsigned long long)await(mask(12)),
           (unsigned long long)await(mask(64)));
    return 0;
}

int main(void) { return async_run(amain()); }
