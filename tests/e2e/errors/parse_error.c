/* A syntax error: asyncc reports libclang's diagnostic and stops. */
#include <async.h>

async int answer(void) {
    return 42
}

int main(void) { return async_run(answer()); }
