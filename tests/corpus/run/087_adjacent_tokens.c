/*
 * Definitions and statements that touch the macro after them, with no
 * space between: `}async int g(void)` and `int a = 1;SHOW(a);`.  Each
 * ends where its own text ends; the macro that follows is not part of
 * it.
 */
#include <async.h>
#include <stdio.h>

#define SHOW(x) printf("%d\n", (x))

async int one(void) { return 1; }async int two(void) { return await(one()) + 1; }

async int amain(void) {
    int a = await(two());SHOW(a);
    int b = a + await(one());SHOW(b);
    if (b > 2) {
        b = await(two());
    }SHOW(b);
    return 0;
}

int main(void) { return async_run(amain()); }
