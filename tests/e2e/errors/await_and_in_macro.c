/* await as the right operand of && where the && is in a macro body. */
#include <async.h>

#define BOTH(a, b) ((a) && (b))

async int answer(void) { return 42; }

async int amain(void) {
    int x = 1;
    int n = BOTH(x, await(answer()));
    return n;
}

int main(void) { return async_run(amain()); }
