/* --inspect reports the input's errors as the transpiler does, and exit
 * status 1, with no report. */
#include <async.h>

int plain(int x) { return x; }

async int f(void) {
    int v = await(plain(1));
    return v;
}

int main(void) { return async_run(f()); }
