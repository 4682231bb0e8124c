/* alloca in an async function: the memory would not survive a suspension. */
#include <alloca.h>
#include <async.h>

async void tick(void) {}

async int amain(void) {
    char *p = alloca(16);
    p[0] = 1;
    await(tick());
    return p[0];
}

int main(void) { return async_run(amain()); }
