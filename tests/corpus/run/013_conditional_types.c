/*
 * ?: with awaited branches of struct, pointer and double type, and a
 * branch whose type converts (int and double).
 */
#include <async.h>
#include <stdio.h>

struct pair {
    int a, b;
};

async struct pair mkpair(int a, int b) {
    await(async_sleep(0));
    struct pair p = {a, b};
    return p;
}

async const char *word(int i) {
    await(async_sleep(0));
    return i ? "yes" : "no";
}

async double ratio(int n, int d) {
    await(async_sleep(0));
    return (double)n / d;
}

async int amain(void) {
    for (int i = 0; i < 2; i++) {
        struct pair p = i ? await(mkpair(1, 2)) : await(mkpair(3, 4));
        printf("pair: %d %d\n", p.a, p.b);
        printf("member: %d\n",
               (i ? await(mkpair(5, 6)) : await(mkpair(7, 8))).b);
        const char *w = i > 0 ? await(word(1)) : await(word(0));
        printf("word: %s\n", w);
        double d = i ? await(ratio(1, 4)) : 2;
        printf("double: %.2f\n", d);
        printf("mixed: %.2f\n", i ? 3 : await(ratio(3, 2)));
    }
    return 0;
}

int main(void) { return async_run(amain()); }
