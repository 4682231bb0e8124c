/*
 * Awaits as arguments of plain and async calls: several awaits in one
 * argument list, an awaited result passed straight to printf, and await
 * results mixed with ordinary arguments.
 */
#include <async.h>
#include <stdio.h>

static int calls;

async int num(int v) {
    calls++;
    await(async_sleep(0));
    return v;
}

static int add3(int a, int b, int c) { return a + b + c; }

async int sum2(int a, int b) {
    await(async_sleep(0));
    return a + b;
}

async int amain(void) {
    printf("one: %d\n", await(num(7)));
    printf("two: %d %d\n", await(num(1)), await(num(2)));
    printf("add3: %d\n", add3(await(num(10)), 20, await(num(30))));
    int r = await(sum2(await(num(4)), await(num(5))));
    printf("sum2: %d\n", r);
    printf("mixed: %d %s %d\n", 100, "x", await(num(-3)));
    printf("calls: %d\n", calls);
    return 0;
}

int main(void) { return async_run(amain()); }
