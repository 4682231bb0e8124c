/* A plain function stored in an async function pointer. */
#include <async.h>

typedef async int handler_fn(int x);

int plain(int x) { return x; }

async int amain(void) {
    handler_fn *h = plain;
    return await(h(1));
}

int main(void) { return async_run(amain()); }
