/*
 * goto and labels across awaits: a backward loop, a forward jump over an
 * await, a jump out of nested loops, and a label on an await statement.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    int tries = 0;
retry:
    tries += await(val(1));
    if (tries < 3)
        goto retry;
    printf("tries=%d\n", tries);

    int skipped = 1;
    if (tries == 3)
        goto skip;
    skipped = await(val(0));
skip:
    printf("skipped=%d\n", skipped);

    int found = -1;
    for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 5; j++) {
            if (await(val(i * j)) == 6) {
                found = i * 10 + j;
                goto done;
            }
        }
    }
done:
    printf("found=%d\n", found);

    int k = 0;
    goto middle;
top:
    printf("top k=%d\n", k);
middle:
    k = await(val(k + 1));
    if (k < 3)
        goto top;
    printf("k=%d\n", k);
    goto out;
out:
    await(val(0));
    printf("out\n");
    return 0;
}

int main(void) { return async_run(amain()); }
