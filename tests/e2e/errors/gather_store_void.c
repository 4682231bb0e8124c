/* A void async function has no result to store. */
#include <async.h>

async void work(int n) { (void)n; }

async void amain(void) {
    int r;
    await(async_gather_failfast(r = work(1)));
}

int main(void) { return async_run(amain()); }
