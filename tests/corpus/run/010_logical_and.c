/*
 * x && await(y()): the await runs only when the left operand is true.
 * Each awaited call prints, so a call that C does not evaluate shows.
 */
#include <async.h>
#include <stdio.h>

async int check(const char *name, int result) {
    printf("  check %s\n", name);
    await(async_sleep(0));
    return result;
}

async int amain(void) {
    int x = 0, r;
    printf("false && await:\n");
    r = x && await(check("a", 1));
    printf("r=%d\n", r);
    x = 5;
    printf("true && await(1):\n");
    r = x && await(check("b", 7));
    printf("r=%d\n", r);
    printf("true && await(0):\n");
    r = x && await(check("c", 0));
    printf("r=%d\n", r);
    printf("await && await:\n");
    r = await(check("d", 0)) && await(check("e", 1));
    printf("r=%d\n", r);
    r = await(check("f", 2)) && await(check("g", 3));
    printf("r=%d\n", r);
    printf("chain:\n");
    r = await(check("h", 1)) && await(check("i", 1)) && await(check("j", 0)) &&
        await(check("k", 1));
    printf("r=%d\n", r);
    printf("in printf: %d\n", x > 10 && await(check("l", 1)));
    return 0;
}

int main(void) { return async_run(amain()); }
