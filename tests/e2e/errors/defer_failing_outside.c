/* async_failing() outside an async_defer body. */
#include <async.h>

async int amain(void) {
    async_defer { (void)async_failing(); }
    return async_failing();
}

int main(void) { return async_run(amain()); }
