/*
 * Awaits in the init clause of for loops: a declaration initialized by
 * an await, several declarators, and an expression init.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    for (int i = await(val(3)); i < 6; i++)
        printf("i=%d\n", i);
    for (int a = await(val(1)), b = await(val(a * 10)); a < 3; a++, b++)
        printf("a=%d b=%d\n", a, b);
    int k;
    for (k = await(val(5)); k > 0; k -= 2)
        printf("k=%d\n", k);
    int total = 0;
    for (int x = await(val(0)); x < await(val(4)); x = await(val(x + 1)))
        total += x;
    printf("total=%d\n", total);
    return 0;
}

int main(void) { return async_run(amain()); }
