/* Jumps out of an async_defer body: the body runs to its end once
 * started. */
#include <async.h>

async void work(void) { await(async_sleep(0)); }

async int amain(int n) {
    for (int i = 0; i < n; i++) {
        async_defer {
            if (i == 1)
                break;
            if (i == 2)
                continue;
            if (i == 3)
                return 1;
            for (int k = 0; k < 2; k++)
                if (k)
                    break; /* its own loop: allowed */
        }
        await(work());
    }
    return 0;
}

int main(void) { return async_run(amain(1)); }
