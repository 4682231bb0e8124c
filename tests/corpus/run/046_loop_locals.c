/*
 * Locals declared inside loop bodies with initializers are initialized
 * again on each iteration, also when they live across awaits.
 */
#include <async.h>
#include <stdio.h>

struct ab {
    int a, b;
};

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    for (int i = 0; i < 3; i++) {
        int fresh = 0;
        int arr[2] = {i, 0};
        fresh += await(val(i));
        arr[1] = await(val(fresh + 1));
        printf("fresh=%d arr=%d,%d\n", fresh, arr[0], arr[1]);
    }
    int n = 0;
    while (n < 3) {
        struct ab s = {n, n * 2};
        await(async_sleep(0));
        s.a += 10;
        printf("s=%d,%d\n", s.a, s.b);
        n++;
    }
    int j = 0;
    do {
        int acc = 1;
        for (int k = 0; k < j; k++)
            acc *= await(val(2));
        printf("acc=%d\n", acc);
    } while (++j < 4);
    return 0;
}

int main(void) { return async_run(amain()); }
