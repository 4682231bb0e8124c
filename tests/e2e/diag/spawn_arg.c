/* A char * passed to an async function that is spawned. */
#include <async.h>
#include <stdio.h>

async int work(int n) {
    await(async_sleep(0));
    return n;
}

async void amain(void) {
    char *p = "x";
    async_task *t = async_spawn(work(p));
    printf("%d\n", await(t));
    async_task_release(t);
}

int main(void) { return async_run(amain()); }
