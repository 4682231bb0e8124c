/* The target of a gathered result, and the error pointer of a caught
 * call, are evaluated after the gather: they cannot await. */
#include <async.h>

async int pick(void) { return 0; }
async int count(int n) { return n; }

async void amain(void) {
    int slots[2], errs[2];
    await(async_gather(slots[await(pick())] = count(1),
                       async_try(count(2), &errs[await(pick())])));
}

int main(void) { return async_run(amain()); }
