/* The same mistake inside an async function, where await is available. */
#include <async.h>
#include <stdio.h>

async const char *say_hi(void) { return "Hi"; }

async void amain(void) {
    const char *result = say_hi();
    printf("%s\n", result);
}

int main(void) { return async_run(amain()); }
