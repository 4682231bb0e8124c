/* A value returned from an async void function: an error. */
#include <async.h>

async void done(void) {
    await(async_sleep(0));
    return 1;
}

int main(void) { return async_run(done()); }
