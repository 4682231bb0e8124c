/*
 * A switch inside a loop (break leaves the switch, continue the
 * iteration) and a loop inside a switch case, all around awaits.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    long long trace = 0;
    for (int i = 0; i < 6; i++) {
        switch (await(val(i % 3))) {
        case 0:
            trace = trace * 10 + 1;
            break;
        case 1:
            if (await(val(i)) > 3)
                continue;
            trace = trace * 10 + 2;
            break;
        default:
            for (int j = 0; j < 2; j++) {
                if (j == 1)
                    break;
                trace = trace * 10 + await(val(3));
            }
        }
        trace = trace * 10 + 9;
    }
    printf("trace=%lld\n", trace);
    return 0;
}

int main(void) { return async_run(amain()); }
