/*
 * Awaits as operands of arithmetic and bitwise operators, on the left,
 * on the right and on both sides, with precedence and parentheses.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    int x = 6;
    printf("add: %d\n", await(val(2)) + x);
    printf("sub: %d\n", x - await(val(10)));
    printf("mul: %d\n", await(val(3)) * await(val(7)));
    printf("div: %d\n", await(val(17)) / await(val(5)));
    printf("mod: %d\n", await(val(17)) % 5);
    printf("prec: %d\n", 1 + await(val(2)) * 3);
    printf("paren: %d\n", (1 + await(val(2))) * 3);
    printf("shl: %d\n", 1 << await(val(4)));
    printf("shr: %d\n", await(val(256)) >> 3);
    printf("and: %d\n", await(val(12)) & 10);
    printf("or: %d\n", await(val(12)) | 3);
    printf("xor: %d\n", await(val(12)) ^ await(val(10)));
    printf("neg: %d\n", -await(val(5)));
    printf("not: %d %d\n", !await(val(0)), !await(val(9)));
    printf("compl: %d\n", ~await(val(0)));
    printf("chain: %d\n",
           await(val(1)) + await(val(2)) + await(val(3)) + await(val(4)));
    long long big = (long long)await(val(1 << 20)) * await(val(1 << 20));
    printf("big: %lld\n", big);
    return 0;
}

int main(void) { return async_run(amain()); }
