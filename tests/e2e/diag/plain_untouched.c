/* A warning in plain code is left to the compiler, which reports it at
 * this line (the code is emitted as written): asyncc says nothing. */
#include <async.h>
#include <stdio.h>

async int work(int n) {
    await(async_sleep(0));
    return n;
}

static int plain(void) {
    char *s = "z";
    int n = s;
    return n != 0;
}

int main(void) { return async_run(work(plain())); }
