/* An awaited call with an argument too many: an error. */
#include <async.h>

async int twice(int n) {
    await(async_sleep(0));
    return 2 * n;
}

async int amain(void) { return await(twice(1, 2)); }

int main(void) { return async_run(amain()); }
