/* goto and labels inside an async_timeout block. */
#include <async.h>

async void work(void) { await(async_sleep(0)); }

async void amain(int n) {
    int err;
    async_timeout(1.0, &err) {
        if (n)
            goto done;
        await(work());
    again:
        await(work());
    }
done:
    (void)err;
}

int main(void) { return async_run(amain(1)); }
