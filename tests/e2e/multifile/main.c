/* Awaits, gathers and runs async functions defined in lib.c. */
#include "lib.h"

#include <stdio.h>

async int amain(void) {
    int x = await(fetch(4));
    struct pair p = await(fetch_pair(1));
    await(log_line("hello"));
    await(async_gather(log_line("a"), log_line("b")));
    printf("x=%d pair=%d,%d\n", x, p.a, p.b);
    return x;
}

int main(void) {
    int direct = async_run(fetch(2));
    printf("direct=%d\n", direct);
    return async_run(amain()) == 40 ? 0 : 1;
}
