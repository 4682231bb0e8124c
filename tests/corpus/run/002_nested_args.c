/*
 * Nested awaits: f(await(a()), g(await(b()))), an await inside the
 * arguments of an awaited call, and a chain of awaits three deep.
 */
#include <async.h>
#include <stdio.h>

async int a(void) {
    await(async_sleep(0));
    return 3;
}

async int b(void) {
    await(async_sleep(0));
    return 4;
}

async int inc(int v) {
    await(async_sleep(0));
    return v + 1;
}

static int g(int v) { return v * 10; }

static int f(int x, int y) { return x * 100 + y; }

async int af(int x, int y) {
    await(async_sleep(0));
    return x - y;
}

async int amain(void) {
    printf("f: %d\n", f(await(a()), g(await(b()))));
    printf("af: %d\n", await(af(await(a()), g(await(b())))));
    printf("deep: %d\n", await(inc(await(inc(await(inc(0)))))));
    int v = g(g(await(inc(await(a())))));
    printf("v: %d\n", v);
    printf("twice: %d\n", f(await(inc(await(a()))), await(inc(await(b())))));
    return 0;
}

int main(void) { return async_run(amain()); }
