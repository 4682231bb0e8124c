/*
 * Nested combinations of &&, || and ?: with awaits in their later
 * operands; every awaited call prints, so evaluation order shows.
 */
#include <async.h>
#include <stdio.h>

async int t(const char *name, int v) {
    printf(" %s", name);
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    for (int m = 0; m < 4; m++) {
        int x = m & 1, y = (m >> 1) & 1, r;
        printf("x=%d y=%d:", x, y);
        r = x && (y || await(t("A", 1)));
        printf(" -> %d;", r);
        r = (x || await(t("B", y))) && await(t("C", 2));
        printf(" -> %d;", r);
        r = x ? (y && await(t("D", 3))) : (y || await(t("E", 0)));
        printf(" -> %d;", r);
        r = await(t("F", x)) ? await(t("G", y)) ? 10 : 11
                             : (await(t("H", y)) && await(t("I", 1)));
        printf(" -> %d;", r);
        r = !(await(t("J", x)) && !await(t("K", y)));
        printf(" -> %d\n", r);
    }
    return 0;
}

int main(void) { return async_run(amain()); }
