/* A plain function passed where an async function pointer is expected. */
#include <async.h>

typedef async int handler_fn(int x);

int plain(int x) { return x; }

async int apply(handler_fn *h, int x) { return await(h(x)); }

async int amain(void) { return await(apply(plain, 1)); }

int main(void) { return async_run(amain()); }
