/* await in an association of _Generic. */
#include <async.h>

async int answer(void) { return 42; }

async int amain(void) {
    int x = 0;
    int n = _Generic(x, int : await(answer()), default : 0);
    return n;
}

int main(void) { return async_run(amain()); }
