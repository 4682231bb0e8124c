/* --dot on a file that does not compile: the compiler's error, exit
 * status 1, no graph. */
#include <async.h>

async int f(void) {
    await(async_sleep(0));
    return undeclared;
}

int main(void) { return async_run(f()); }
