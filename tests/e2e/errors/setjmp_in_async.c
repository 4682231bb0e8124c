/* setjmp in an async function: the stack it saves is gone on resume. */
#include <async.h>
#include <setjmp.h>

async void tick(void) {}

async int amain(void) {
    jmp_buf env;
    if (setjmp(env))
        return 1;
    await(tick());
    return 0;
}

int main(void) { return async_run(amain()); }
