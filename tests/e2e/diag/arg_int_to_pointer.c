/* An int passed where an awaited async function takes a pointer. */
#include <async.h>
#include <stdio.h>

async void show(const char *s) {
    await(async_sleep(0));
    puts(s);
}

async void amain(void) {
    int code = 42;
    await(show(code));
}

int main(void) { return async_run(amain()); }
