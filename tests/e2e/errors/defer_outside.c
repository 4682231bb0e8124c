/* async_defer and async_failing() in a plain function. */
#include <async.h>

int plain(int n) {
    async_defer { n++; }
    return n + async_failing();
}

int main(void) { return plain(1); }
