/* async_timeout outside an async function. */
#include <async.h>

int main(void) {
    int err;
    async_timeout(1.0, &err) { err = 1; }
    return err;
}
