/* A computed goto (goto *p) in an async function. */
#include <async.h>

async void tick(void) {}

async int amain(void) {
    void *p = &&done;
    await(tick());
    goto *p;
done:
    return 0;
}

int main(void) { return async_run(amain()); }
