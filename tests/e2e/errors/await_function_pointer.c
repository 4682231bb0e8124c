/* await of a call through a function pointer: the callee is unknown. */
#include <async.h>

int answer(void) { return 42; }

async int amain(void) {
    int (*fp)(void) = answer;
    int n = await(fp());
    return n == 42 ? 0 : 1;
}

int main(void) { return async_run(amain()); }
