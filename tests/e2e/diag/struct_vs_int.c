/* A struct passed where an async function takes an int: an error. */
#include <async.h>

struct point {
    int x, y;
};

async int twice(int n) {
    await(async_sleep(0));
    return 2 * n;
}

async int amain(void) {
    struct point p = {1, 2};
    return await(twice(p));
}

int main(void) { return async_run(amain()); }
