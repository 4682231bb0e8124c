/*
 * Compound literals with awaited members, passed by value and by
 * address, and an awaited struct in a compound literal's initializer.
 */
#include <async.h>
#include <stdio.h>

struct point {
    int x, y;
};

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async struct point mk(int x, int y) {
    await(async_sleep(0));
    return (struct point){x, y};
}

static int manhattan(struct point p) { return p.x + p.y; }

static int first_of(const int *arr) { return arr[0]; }

async int amain(void) {
    printf("m=%d\n", manhattan((struct point){await(val(3)), await(val(4))}));
    printf("first=%d\n", first_of((int[]){await(val(9)), 8, 7}));
    struct point p = (struct point){.y = await(val(2)), .x = 1};
    printf("p=%d,%d\n", p.x, p.y);
    struct point q = await(mk(await(val(5)), 6));
    printf("q=%d,%d\n", q.x, q.y);
    return 0;
}

int main(void) { return async_run(amain()); }
