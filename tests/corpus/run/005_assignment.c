/*
 * Awaits on the right of assignment and of every compound assignment
 * operator, chained assignment, and assignment through pointers and
 * struct members.
 */
#include <async.h>
#include <stdio.h>

struct box {
    int v;
    int w[2];
};

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    int x = 0, y = 0, z = 0;
    x = await(val(100));
    printf("=: %d\n", x);
    x += await(val(5));
    printf("+=: %d\n", x);
    x -= await(val(15));
    printf("-=: %d\n", x);
    x *= await(val(3));
    printf("*=: %d\n", x);
    x /= await(val(7));
    printf("/=: %d\n", x);
    x %= await(val(20));
    printf("%%=: %d\n", x);
    x <<= await(val(3));
    printf("<<=: %d\n", x);
    x >>= await(val(2));
    printf(">>=: %d\n", x);
    x &= await(val(6));
    printf("&=: %d\n", x);
    x |= await(val(9));
    printf("|=: %d\n", x);
    x ^= await(val(5));
    printf("^=: %d\n", x);
    z = y = await(val(42));
    printf("chain: %d %d\n", y, z);
    int *p = &y;
    *p = await(val(7));
    *p += await(val(1));
    printf("ptr: %d\n", y);
    struct box b = {1, {2, 3}};
    b.v = await(val(11));
    b.w[1] += await(val(30));
    printf("box: %d %d %d\n", b.v, b.w[0], b.w[1]);
    double d = 1.5;
    d *= await(val(4));
    printf("double: %.2f\n", d);
    return 0;
}

int main(void) { return async_run(amain()); }
