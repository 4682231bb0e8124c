/* case labels after an async_defer in the same switch, and inside an
 * async_defer body. */
#include <async.h>

async void work(void) { await(async_sleep(0)); }

async void amain(int n) {
    switch (n) {
    case 0:
        await(work());
        async_defer { await(work()); }
        break;
    default:
        break;
    }
    switch (n) {
    case 0: {
        async_defer { await(work()); } /* in braces: allowed */
        break;
    }
    case 1: {
        async_defer {
        case 2:
            (void)n;
        }
        break;
    }
    }
}

int main(void) { return async_run(amain(1)); }
