/*
 * __func__ in an async function names it, not the function generated for
 * its body, also across awaits and in nested calls.
 */
#include <async.h>
#include <stdio.h>

async int depth(int n) {
    printf("%s %d\n", __func__, n);
    if (n > 0)
        return await(depth(n - 1)) + 1;
    return 0;
}

async int amain(void) {
    const char *name = __func__;
    int d = await(depth(2));
    printf("%s %s %d %zu\n", name, __func__, d, sizeof __func__);
    return 0;
}

int main(void) {
    printf("%s\n", __func__);
    return async_run(amain());
}
