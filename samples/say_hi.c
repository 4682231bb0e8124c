/*
 * say_hi.c -- the seed's "Common Mistake" example, corrected: say_hi()
 * is awaited, so it runs and its result is printed.  (The mistake itself,
 * calling it without await, is tests/e2e/errors/say_hi_mistake.c: asyncc
 * rejects it.)
 *
 *     async def say_hi():
 *         return "Hi"
 *
 *     # Correct:
 *     async def main():
 *         result = await say_hi()
 *         print(result)
 *
 *     asyncio.run(main())
 */
#include <async.h>
#include <stdio.h>

async const char *say_hi(void) { return "Hi"; }

async void amain(void) {
    const char *result = await(say_hi());
    printf("%s\n", result);
}

int main(void) { return async_run(amain()); }
