/* async_run of a value that is not a call of an async function. */
#include <async.h>

int main(void) {
    int x = 0;
    return async_run(x);
}
