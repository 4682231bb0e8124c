/* gotos into an async_defer's scope or body, and out of a body. */
#include <async.h>

async void work(void) { await(async_sleep(0)); }

async void amain(int n) {
    if (n)
        goto inside;
    {
        async_defer {
            if (n > 1)
                goto leave;
            await(work());
        }
    inside:
        await(work());
    }
leave:
    if (n > 2)
        goto back; /* backwards, before the defer: allowed */
    return;
back:
    if (n) {
        async_defer {
        work_done:
            (void)n;
        }
        goto work_done;
    }
}

int main(void) { return async_run(amain(1)); }
