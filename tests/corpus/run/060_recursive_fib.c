/*
 * Recursion: an async function that awaits itself (Fibonacci, about
 * 1800 frames in all, 15 deep) and counts its calls.
 */
#include <async.h>
#include <stdio.h>

static int calls;

async int fib(int n) {
    calls++;
    if (n < 2)
        return n;
    int a = await(fib(n - 1));
    int b = await(fib(n - 2));
    return a + b;
}

async int amain(void) {
    for (int n = 0; n <= 15; n += 5)
        printf("fib(%d) = %d\n", n, await(fib(n)));
    printf("calls = %d\n", calls);
    return 0;
}

int main(void) { return async_run(amain()); }
