/* A plain function pointer assigned to an async function pointer. */
#include <async.h>

typedef async int handler_fn(int x);

int plain(int x) { return x; }
async int twice(int x) { return 2 * x; }

async int amain(void) {
    int (*fp)(int) = plain;
    handler_fn *h = twice;
    h = fp;
    return await(h(1));
}

int main(void) { return async_run(amain()); }
