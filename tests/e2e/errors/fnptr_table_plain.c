/* A plain function in a table of async function pointers. */
#include <async.h>

typedef async int handler_fn(int x);

int plain(int x) { return x; }
async int twice(int x) { return 2 * x; }

handler_fn *table[] = {twice, plain};

async int amain(void) { return await(table[1](1)); }

int main(void) { return async_run(amain()); }
