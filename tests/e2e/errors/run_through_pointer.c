/* async_run of a call through an async function pointer: only a call by
 * name can be run from plain code. */
#include <async.h>

typedef async int main_fn(int n);

async int amain(int n) { return n; }

int main(void) {
    main_fn *p = amain;
    return async_run(p(3));
}
