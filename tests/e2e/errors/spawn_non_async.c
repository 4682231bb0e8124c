/* async_spawn of a call to a plain function. */
#include <async.h>

int plain(void) { return 1; }

async void amain(void) {
    async_task *t = async_spawn(plain());
    async_task_release(t);
}

int main(void) { return async_run(amain()); }
