/* sleep() in an async function blocks the whole loop: a warning. */
#include <async.h>
#include <unistd.h>

async int amain(void) {
    sleep(1);
    return 0;
}

int main(void) { return async_run(amain()); }
