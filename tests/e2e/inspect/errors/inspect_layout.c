/* The frames are laid out by parsing the generated C, which is compiled
 * without __ASYNCC__: here the type of a local exists only while asyncc
 * parses, so the generated C does not compile and --inspect says so
 * (exit status 1) instead of reporting wrong sizes. */
#include <async.h>

#ifdef __ASYNCC__
typedef int only_for_asyncc;
#endif

async int f(void) {
    only_for_asyncc x = 1;
    await(async_sleep(0));
    return x;
}

int main(void) { return async_run(f()); }
