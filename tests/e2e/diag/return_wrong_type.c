/* An async function returning a char * as its int result. */
#include <async.h>
#include <stdio.h>

async int bad_return(void) {
    char *s = "abc";
    await(async_sleep(0));
    return s;
}

int main(void) { return async_run(bad_return()) ? 0 : 1; }
