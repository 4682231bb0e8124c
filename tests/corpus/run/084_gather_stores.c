/*
 * Results of gathered calls stored by `lvalue = call`: locals, array
 * elements chosen by an index, struct members, through a pointer, and
 * with async_try around a call; in async_gather and async_gather_failfast,
 * in a loop, and with the stored variables live across later awaits.
 */
#include <async.h>
#include <stdio.h>

struct pair {
    long a;
    double b;
};

async int square(int v) {
    await(async_sleep(0));
    return v * v;
}

async double scaled(int v, double k) {
    await(async_sleep(0));
    return v * k;
}

async void fill(int *out, int n) {
    for (int i = 0; i < n; i++)
        out[i] = await(square(i + 1));
}

async int amain(void) {
    int x = 0, y = 0, arr[4] = {0};
    struct pair p = {0, 0};
    struct pair *pp = &p;
    int err = -1;
    await(async_gather(x = square(3), y = square(4), arr[2] = square(5),
                       pp->b = scaled(3, 0.5),
                       async_try(p.a = square(6), &err)));
    printf("%d %d %d %ld %.2f err=%d\n", x, y, arr[2], p.a, p.b, err);

    int sums[3] = {0};
    for (int i = 0; i < 3; i++)
        await(async_gather_failfast(sums[i] = square(i + 7), fill(arr, 4)));
    printf("%d %d %d | %d %d %d %d\n", sums[0], sums[1], sums[2], arr[0],
           arr[1], arr[2], arr[3]);

    await(async_sleep(0));
    printf("still %d %d\n", x + y, await(square(x)));
    return 0;
}

int main(void) { return async_run(amain()); }
