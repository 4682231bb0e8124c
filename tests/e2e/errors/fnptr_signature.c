/* An async function whose signature differs from the pointer's. */
#include <async.h>

typedef async int handler_fn(int x, void *arg);

async int one(int x) { return x; }

async int amain(void) {
    handler_fn *h = one;
    return await(h(1, 0));
}

int main(void) { return async_run(amain()); }
