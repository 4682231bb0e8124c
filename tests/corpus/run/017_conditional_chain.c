/*
 * A chain of ?: operators, a ? await(x()) : b ? await(y()) : await(z()),
 * and a ?: inside the arguments of an awaited call.
 */
#include <async.h>
#include <stdio.h>

async int named(const char *name, int v) {
    printf("  %s\n", name);
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    for (int k = 0; k < 4; k++) {
        printf("k=%d\n", k);
        int r = k == 0   ? await(named("zero", 0))
                : k == 1 ? await(named("one", 1))
                : k == 2 ? 2
                         : await(named("many", 99));
        printf("r=%d\n", r);
        r = await(named("outer", k % 2 ? await(named("odd", 1)) : 0));
        printf("r=%d\n", r);
    }
    return 0;
}

int main(void) { return async_run(amain()); }
