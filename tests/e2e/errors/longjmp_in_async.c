/* longjmp in an async function: it would jump out of the state machine. */
#include <async.h>
#include <setjmp.h>

static jmp_buf env;

async void tick(void) {}

async int amain(void) {
    await(tick());
    longjmp(env, 1);
}

int main(void) {
    if (setjmp(env))
        return 0;
    return async_run(amain());
}
