/* A local of an unnamed struct type live across an await. */
#include <async.h>

async void tick(void) {}

async int amain(void) {
    struct {
        int x, y;
    } p = {1, 2};
    await(tick());
    return p.x + p.y;
}

int main(void) { return async_run(amain()); }
