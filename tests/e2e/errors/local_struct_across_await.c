/* A local of a struct type declared inside the function, across an await. */
#include <async.h>

async void tick(void) {}

async int amain(void) {
    struct point {
        int x, y;
    } p = {1, 2};
    await(tick());
    return p.x + p.y;
}

int main(void) { return async_run(amain()); }
