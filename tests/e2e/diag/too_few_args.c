/* An awaited call with an argument missing: an error. */
#include <async.h>

async int add(int a, int b) {
    await(async_sleep(0));
    return a + b;
}

async int amain(void) { return await(add(1)); }

int main(void) { return async_run(amain()); }
