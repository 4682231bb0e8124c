/*
 * Side effects sequenced before an await in the same full expression:
 * the left operand of && || , ?: must be evaluated (and its side effects
 * complete) before the awaited call, which sees the updated values.
 */
#include <async.h>
#include <stdio.h>

static int g;

async int show(const char *what, int v) {
    await(async_sleep(0));
    printf("  %s: v=%d g=%d\n", what, v, g);
    return v;
}

async int amain(void) {
    int n = 0, r;
    r = (n = 5) && await(show("and", n));
    printf("r=%d n=%d\n", r, n);
    r = (g = 0) || await(show("or", g + 1));
    printf("r=%d\n", r);
    r = (n++, g++, await(show("comma", n)));
    printf("r=%d n=%d g=%d\n", r, n, g);
    r = (g += 10) ? await(show("cond", g)) : 0;
    printf("r=%d\n", r);
    int i = 0;
    while (i++ < 3 && await(show("while", i)))
        ;
    printf("i=%d\n", i);
    return 0;
}

int main(void) { return async_run(amain()); }
