/* async_gather with an argument that is not a call of an async function. */
#include <async.h>

async void work(int n) { (void)n; }

async void amain(void) {
    int x = 1;
    await(async_gather(work(1), x));
}

int main(void) { return async_run(amain()); }
