/* An undeclared identifier in an async function. */
#include <async.h>

async void tick(void) {}

async int amain(void) {
    await(tick());
    return count;
}

int main(void) { return async_run(amain()); }
