/* A long * passed where an awaited async function takes a const char *. */
#include <async.h>
#include <stdio.h>

async int first(const char *s) {
    await(async_sleep(0));
    return s[0];
}

async void amain(void) {
    long value = 7;
    long *lp = &value;
    int z = await(first(lp));
    printf("%d\n", z);
}

int main(void) { return async_run(amain()); }
