/* async_serve's handler must be an async function. */
#include <async.h>

static void plain(int fd, void *arg) {
    (void)fd;
    (void)arg;
}

async int amain(int lfd) { return await(async_serve(lfd, plain, 0)); }

int main(void) { return async_run(amain(3)); }
