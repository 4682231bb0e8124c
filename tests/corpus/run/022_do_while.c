/*
 * do/while with awaits in the condition and the body, with continue
 * (which jumps to the condition) and break.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    int i = 0;
    do {
        printf("body i=%d\n", i);
        i++;
    } while (await(val(i)) < 3);
    printf("after i=%d\n", i);
    int runs = 0;
    do
        runs++;
    while (await(val(0)));
    printf("runs=%d\n", runs);
    int j = 0, evens = 0;
    do {
        j = await(val(j + 1));
        if (j % 2)
            continue;
        evens += j;
        if (j >= 8)
            break;
    } while (await(val(j)) < 10);
    printf("j=%d evens=%d\n", j, evens);
    int k = 10;
    do {
        if (k == 7) {
            k -= await(val(2));
            continue;
        }
        k--;
    } while (k > await(val(3)));
    printf("k=%d\n", k);
    return 0;
}

int main(void) { return async_run(amain()); }
