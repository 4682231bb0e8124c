/* await applied to an int variable rather than a call or a task handle. */
#include <async.h>

async int amain(void) {
    int x = 3;
    int n = await(x);
    return n;
}

int main(void) { return async_run(amain()); }
