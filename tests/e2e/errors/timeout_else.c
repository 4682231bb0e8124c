/* async_timeout takes no else (here it would capture the outer if's). */
#include <async.h>

async void work(void) { await(async_sleep(0)); }

async void amain(int n) {
    int err;
    if (n)
        async_timeout(1.0, &err) { await(work()); }
    else
        await(work());
}

int main(void) { return async_run(amain(1)); }
