/*
 * Casts applied to awaited results: narrowing, widening, to floating
 * point and back, to void, and pointer casts.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async double real(double v) {
    await(async_sleep(0));
    return v;
}

async void *opaque(int *p) {
    await(async_sleep(0));
    return p;
}

async int amain(void) {
    printf("uchar: %d\n", (unsigned char)await(val(300)));
    printf("schar: %d\n", (signed char)await(val(200)));
    printf("double: %.3f\n", (double)await(val(7)) / 2);
    printf("int: %d\n", (int)await(real(9.99)));
    printf("neg int: %d\n", (int)await(real(-2.5)));
    printf("long long: %lld\n", (long long)await(val(65536)) * 65536);
    printf("unsigned: %u\n", (unsigned)await(val(-1)));
    (void)await(val(1));
    int x = 41;
    int *p = (int *)await(opaque(&x));
    printf("ptr: %d\n", *p + 1);
    printf("bool: %d\n", (_Bool)await(val(5)));
    printf("nested: %d\n", (int)(char)(unsigned)await(val(0x141)));
    return 0;
}

int main(void) { return async_run(amain()); }
