/*
 * Member access on awaited results: await(get()).field, nested members,
 * an array member subscripted, and -> on an awaited pointer.
 */
#include <async.h>
#include <stdio.h>

struct inner {
    int a;
    int arr[3];
};

struct outer {
    char tag;
    struct inner in;
    double d;
};

static struct outer global = {'g', {5, {6, 7, 8}}, 2.5};

async struct outer make(int base) {
    await(async_sleep(0));
    struct outer o = {'m', {base, {base + 1, base + 2, base + 3}}, base / 4.0};
    return o;
}

async struct outer *global_ptr(void) {
    await(async_sleep(0));
    return &global;
}

async int amain(void) {
    printf("tag: %c\n", await(make(1)).tag);
    printf("a: %d\n", await(make(10)).in.a);
    printf("arr: %d\n", await(make(20)).in.arr[2]);
    printf("d: %.2f\n", await(make(3)).d);
    int s = await(make(1)).in.a + await(make(100)).in.arr[0];
    printf("sum: %d\n", s);
    printf("ptr: %c %d\n", await(global_ptr())->tag, await(global_ptr())->in.a);
    await(global_ptr())->in.arr[1] = 70;
    printf("global: %d %d %d\n", global.in.arr[0], global.in.arr[1],
           global.in.arr[2]);
    struct inner in = await(make(40)).in;
    printf("copy: %d %d\n", in.a, in.arr[1]);
    return 0;
}

int main(void) { return async_run(amain()); }
