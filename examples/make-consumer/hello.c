/* hello.c -- a program in the asyncc dialect: main awaits a short
 * non-blocking sleep between two lines. */
#include <async.h>
#include <stdio.h>

#ifndef GREETING
#define GREETING "Hello"
#endif

async void hello(void) {
    printf("Waiting...\n");
    await(async_sleep(0.05));
    printf("%s from asyncc\n", GREETING);
}

async void amain(void) { await(hello()); }

int main(void) { return async_run(amain()); }
