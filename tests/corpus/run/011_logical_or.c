/*
 * x || await(y()): the await runs only when the left operand is false.
 */
#include <async.h>
#include <stdio.h>

async int check(const char *name, int result) {
    printf("  check %s\n", name);
    await(async_sleep(0));
    return result;
}

async int amain(void) {
    int x = 1, r;
    printf("true || await:\n");
    r = x || await(check("a", 0));
    printf("r=%d\n", r);
    x = 0;
    printf("false || await(5):\n");
    r = x || await(check("b", 5));
    printf("r=%d\n", r);
    printf("false || await(0):\n");
    r = x || await(check("c", 0));
    printf("r=%d\n", r);
    printf("await || await:\n");
    r = await(check("d", 3)) || await(check("e", 1));
    printf("r=%d\n", r);
    r = await(check("f", 0)) || await(check("g", 0));
    printf("r=%d\n", r);
    printf("chain:\n");
    r = await(check("h", 0)) || await(check("i", 0)) || await(check("j", 4)) ||
        await(check("k", 1));
    printf("r=%d\n", r);
    int n = 0;
    n += x || await(check("l", 9));
    n += !x || await(check("m", 9));
    printf("n=%d\n", n);
    return 0;
}

int main(void) { return async_run(amain()); }
