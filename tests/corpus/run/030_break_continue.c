/*
 * break and continue next to awaits in nested loops: each applies to its
 * innermost loop, also when the loop's body was suspended in between.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    for (int i = 0; i < 4; i++) {
        if (await(val(i)) == 1)
            continue;
        for (int j = 0; j < 4; j++) {
            if (j == i)
                break;
            if (await(val(j)) == 0)
                continue;
            printf("(%d,%d) ", i, j);
        }
        if (i == 3)
            break;
        printf("end %d\n", i);
    }
    printf("\n");
    int n = 0;
    while (1) {
        n = await(val(n + 1));
        do {
            if (n % 2)
                break;
            printf("even %d\n", n);
        } while (0);
        if (n < 6)
            continue;
        break;
    }
    printf("n=%d\n", n);
    return 0;
}

int main(void) { return async_run(amain()); }
