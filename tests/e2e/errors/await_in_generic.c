/* await in the controlling expression of _Generic: never evaluated. */
#include <async.h>

async int answer(void) { return 42; }

async int amain(void) {
    int n = _Generic(await(answer()), int : 1, default : 0);
    return n;
}

int main(void) { return async_run(amain()); }
