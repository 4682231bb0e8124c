/* An await in the argument of a macro that stringizes its argument. */
#include <async.h>
#include <stdio.h>

#define SHOW(expr) show(#expr, (expr))

static void show(const char *text, int v) { printf("%s = %d\n", text, v); }

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    SHOW(await(val(7)) + 1);
    SHOW(2 * await(val(3)));
    return 0;
}

int main(void) { return async_run(amain()); }
