/*
 * return from inside nested loops (for in while in do) after awaits,
 * with locals of each level still correct at the return.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int search(int target) {
    int outer = 0;
    do {
        int mid = 0;
        while (mid < 3) {
            for (int in = 0; in < 3; in++) {
                int v = await(val(outer * 9 + mid * 3 + in));
                if (v == target)
                    return outer * 100 + mid * 10 + in;
            }
            mid++;
        }
        outer++;
    } while (outer < 3);
    return -1;
}

async void visit(int stop) {
    for (int i = 0;; i++) {
        for (int j = 0; j < 3; j++) {
            await(async_sleep(0));
            printf("visit %d,%d\n", i, j);
            if (i * 3 + j == stop)
                return;
        }
    }
}

async int amain(void) {
    printf("%d\n", await(search(0)));
    printf("%d\n", await(search(14)));
    printf("%d\n", await(search(26)));
    printf("%d\n", await(search(27)));
    await(visit(4));
    return 0;
}

int main(void) { return async_run(amain()); }
