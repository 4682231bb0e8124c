/*
 * Locals declared without initializer and assigned later in branches by
 * awaits, and a local assigned before an await and read after it.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int choose(int c) {
    int r;
    if (c > 0)
        r = await(val(c * 2));
    else if (c < 0)
        r = -await(val(-c));
    else
        r = 0;
    return r;
}

async int amain(void) {
    int a, b;
    a = await(val(3));
    b = a * 2;
    await(async_sleep(0));
    printf("a=%d b=%d\n", a, b);
    printf("%d %d %d\n", await(choose(4)), await(choose(-5)), await(choose(0)));
    int sum;
    sum = 0;
    for (int i = 0; i < 3; i++) {
        int t;
        t = await(val(i + 1));
        sum += t;
    }
    printf("sum=%d\n", sum);
    return 0;
}

int main(void) { return async_run(amain()); }
