/*
 * Struct results: small and large structs, structs holding arrays and
 * nested structs, returned through several levels of awaits.
 */
#include <async.h>
#include <stdio.h>

struct vec {
    double x, y;
};

struct big {
    int data[16];
    char label[8];
    struct vec v;
};

async struct vec add(struct vec a, struct vec b) {
    await(async_sleep(0));
    struct vec r = {a.x + b.x, a.y + b.y};
    return r;
}

async struct big make_big(int seed) {
    struct big b = {{0}, "big", {seed, -seed}};
    for (int i = 0; i < 16; i++)
        b.data[i] = seed * i;
    await(async_sleep(0));
    return b;
}

async struct big relay(int seed) {
    struct big b = await(make_big(seed));
    b.label[0] = 'B';
    return b;
}

async struct vec sum(int n) {
    struct vec acc = {0, 0};
    for (int i = 1; i <= n; i++) {
        struct vec step = {i, 0.5};
        acc = await(add(acc, step));
    }
    return acc;
}

async int amain(void) {
    struct vec v = await(sum(4));
    printf("sum: %.1f %.1f\n", v.x, v.y);
    struct big b = await(relay(3));
    int total = 0;
    for (int i = 0; i < 16; i++)
        total += b.data[i];
    printf("big: %s total=%d v=%.0f,%.0f\n", b.label, total, b.v.x, b.v.y);
    printf("direct: %d\n", await(make_big(2)).data[15]);
    b = await(relay(1));
    printf("again: %s %d\n", b.label, b.data[1]);
    return 0;
}

int main(void) { return async_run(amain()); }
