/* await applied to a call of a plain function. */
#include <async.h>

int answer(void) { return 42; }

async int amain(void) {
    int n = await(answer());
    return n == 42 ? 0 : 1;
}

int main(void) { return async_run(amain()); }
