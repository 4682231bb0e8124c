/*
 * say_hello.c -- the seed's "await and asyncio.sleep()" example: the task
 * waits two seconds without blocking the thread.
 *
 *     async def say_hello():
 *         print("Waiting...")
 *         await asyncio.sleep(2)  # non-blocking delay
 *         print("Hello after 2 seconds")
 *
 *     async def main():
 *         await say_hello()
 *
 *     asyncio.run(main())
 */
#include <async.h>
#include <stdio.h>

async void say_hello(void) {
    printf("Waiting...\n");
    await(async_sleep(2)); /* non-blocking delay */
    printf("Hello after 2 seconds\n");
}

async void amain(void) { await(say_hello()); }

int main(void) { return async_run(amain()); }
