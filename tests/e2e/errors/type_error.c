/* A type error: a struct returned where an int is expected. */
#include <async.h>

struct pair {
    int a, b;
};

async void tick(void) {}

async int amain(void) {
    struct pair p = {1, 2};
    await(tick());
    return p;
}

int main(void) { return async_run(amain()); }
