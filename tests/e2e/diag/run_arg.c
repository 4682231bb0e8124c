/* async_run in main with a char * where the async function takes an
 * int.  main is the plain function the call is rewritten in: its other
 * warning of the same kind is reported too, as the compiler is told not
 * to repeat that kind in main. */
#include <async.h>
#include <stdio.h>

async int work(int n) {
    await(async_sleep(0));
    return n;
}

int main(void) {
    char *q = "y";
    int other = q;
    printf("%d\n", other);
    return async_run(work(q));
}
