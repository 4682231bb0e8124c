/* await written inside the body of a macro. */
#include <async.h>

#define AW(x) await(x)

async int answer(void) { return 42; }

async int amain(void) {
    int n = AW(answer());
    return n;
}

int main(void) { return async_run(amain()); }
