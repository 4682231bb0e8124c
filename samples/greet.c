/*
 * greet.c -- the seed's "Async Function" example: calling greet() alone
 * would not run it; awaiting the call does, and gives its result.
 *
 *     async def greet():
 *         return "Hello"
 *
 *     async def main():
 *         result = await greet()
 *         print(result)
 *
 *     asyncio.run(main())
 */
#include <async.h>
#include <stdio.h>

async const char *greet(void) { return "Hello"; }

async void amain(void) {
    const char *result = await(greet());
    printf("%s\n", result);
}

int main(void) { return async_run(amain()); }
