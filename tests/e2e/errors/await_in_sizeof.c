/* await inside sizeof: the operand is never evaluated. */
#include <async.h>

async int answer(void) { return 42; }

async int amain(void) {
    int n = (int)sizeof(await(answer()));
    return n;
}

int main(void) { return async_run(amain()); }
