/* A call through an async function pointer without await. */
#include <async.h>

typedef async int handler_fn(int x);

async int twice(int x) { return 2 * x; }

async int amain(void) {
    handler_fn *h = twice;
    int n = h(1);
    return n;
}

int main(void) { return async_run(amain()); }
