/* A plain function returned as an async function pointer. */
#include <async.h>

typedef async int handler_fn(int x);

int plain(int x) { return x; }

static handler_fn *pick(void) { return plain; }

async int amain(void) { return await(pick()(1)); }

int main(void) { return async_run(amain()); }
