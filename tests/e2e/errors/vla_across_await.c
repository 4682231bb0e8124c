/* A variable-length array live across an await. */
#include <async.h>

async void tick(void) {}

async int amain(int n) {
    int a[n];
    a[0] = 1;
    await(tick());
    return a[0];
}

int main(void) { return async_run(amain(3)); }
