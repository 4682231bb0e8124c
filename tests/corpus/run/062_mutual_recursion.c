/*
 * Mutual recursion: is_even and is_odd await each other, up to 17
 * levels deep.
 */
#include <async.h>
#include <stdio.h>

async _Bool is_odd(unsigned n);

async _Bool is_even(unsigned n) {
    if (n == 0)
        return 1;
    return await(is_odd(n - 1));
}

async _Bool is_odd(unsigned n) {
    if (n == 0)
        return 0;
    await(async_sleep(0));
    return await(is_even(n - 1));
}

async int amain(void) {
    for (unsigned n = 0; n < 18; n += 3)
        printf("%u: even=%d odd=%d\n", n, await(is_even(n)), await(is_odd(n)));
    return 0;
}

int main(void) { return async_run(amain()); }
