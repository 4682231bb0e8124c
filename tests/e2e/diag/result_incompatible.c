/* An awaited result initializing, and assigned to, variables of
 * incompatible types. */
#include <async.h>
#include <stdio.h>

async int count(void) {
    await(async_sleep(0));
    return 3;
}

async char *get_name(void) {
    await(async_sleep(0));
    return "x";
}

async void amain(void) {
    int *ip = await(count());
    int q;
    q = await(get_name());
    printf("%p %d\n", (void *)ip, q);
}

int main(void) { return async_run(amain()); }
