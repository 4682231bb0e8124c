/*
 * Awaits as operands of comparisons, used as values and as conditions.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async double half(int v) {
    await(async_sleep(0));
    return v / 2.0;
}

async int amain(void) {
    int a = 3;
    printf("%d %d %d\n", await(val(3)) == a, await(val(4)) != a,
           a < await(val(2)));
    printf("%d %d %d\n", await(val(5)) <= await(val(5)),
           await(val(6)) > await(val(7)), await(val(1)) >= 1);
    if (await(val(10)) > 9)
        printf("10 > 9\n");
    if (await(half(3)) == 1.5)
        printf("half 3 is 1.5\n");
    int cmp = (await(val(2)) < await(val(3))) + (await(val(8)) == 8);
    printf("cmp: %d\n", cmp);
    return 0;
}

int main(void) { return async_run(amain()); }
