/*
 * A parameter declared as an array, int a[n], int p[2] or char s[], is
 * the pointer it stands for: an async function may take one and use it
 * across awaits, and its declarations agree under -Warray-parameter.
 */
#include <async.h>
#include <stdio.h>

async int id(int x) {
    await(async_sleep(0));
    return x;
}

async int sum(int n, const int a[n]) {
    int total = 0;
    for (int i = 0; i < n; i++)
        total += await(id(a[i]));
    return total;
}

async void scale(int n, double v[n], double by) {
    for (int i = 0; i < n; i++) {
        await(async_sleep(0));
        v[i] *= by;
    }
}

async int pair_sum(const int p[2], const char name[]) {
    await(async_sleep(0));
    printf("%s: %d\n", name, p[0] + p[1]);
    return p[0] + p[1];
}

async int amain(void) {
    int a[5] = {1, 2, 3, 4, 5};
    double v[3] = {0.5, 1.0, 1.5};
    int s = await(sum(5, a));
    await(scale(3, v, 4.0));
    printf("sum %d, v = %.1f %.1f %.1f\n", s, v[0], v[1], v[2]);
    await(pair_sum(a, "pair"));
    return 0;
}

int main(void) { return async_run(amain()); }
