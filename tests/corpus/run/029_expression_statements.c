/*
 * Awaits as whole expression statements: results discarded, a cast to
 * void, awaits of void functions, and awaits as the only statement of
 * if/else/loop bodies without braces.
 */
#include <async.h>
#include <stdio.h>

static int hits;

async int hit(void) {
    await(async_sleep(0));
    return ++hits;
}

async void log_hits(const char *where) {
    await(async_sleep(0));
    printf("%s: hits=%d\n", where, hits);
}

async int amain(void) {
    await(hit());
    (void)await(hit());
    await(log_hits("start"));
    if (hits == 2)
        await(hit());
    else
        await(log_hits("wrong"));
    for (int i = 0; i < 3; i++)
        await(hit());
    await(log_hits("loop"));
    while (hits < 8)
        await(hit());
    do
        await(hit());
    while (0);
    await(log_hits("end"));
    return 0;
}

int main(void) { return async_run(amain()); }
