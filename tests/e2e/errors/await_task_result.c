/* An async function whose result is a task handle, awaited. */
#include <async.h>

async int work(void) { return 1; }

async async_task *start(void) { return async_spawn(work()); }

async int amain(void) {
    async_task *t = await(start());
    return await(t);
}

int main(void) { return async_run(amain()); }
