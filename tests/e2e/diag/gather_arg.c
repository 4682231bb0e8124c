/* A char * passed to a gathered call that takes an int. */
#include <async.h>
#include <stdio.h>

async int work(int n) {
    await(async_sleep(0));
    return n;
}

async void amain(void) {
    char *p = "x";
    int a = 0, b = 0;
    await(async_gather(a = work(1), b = work(p)));
    printf("%d %d\n", a, b);
}

int main(void) { return async_run(amain()); }
