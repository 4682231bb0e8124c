/* async_defer takes no else, and must be a statement of a block. */
#include <async.h>

async void work(void) { await(async_sleep(0)); }

async void amain(int n) {
    async_defer { await(work()); }
    else {
        (void)n;
    }
    if (n)
        async_defer { (void)n; }
}

int main(void) { return async_run(amain(1)); }
