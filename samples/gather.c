/*
 * gather.c -- the seed's "Running Multiple Async Functions" example: three
 * tasks sleep 2, 1 and 3 seconds concurrently, so the whole run takes
 * about 3 seconds, not 6.  The last line, which the Python original does
 * not print, shows that.
 *
 *     async def task(name, seconds):
 *         print(f"Start {name}")
 *         await asyncio.sleep(seconds)
 *         print(f"End {name}")
 *
 *     async def main():
 *         await asyncio.gather(task("A", 2), task("B", 1), task("C", 3))
 *
 *     asyncio.run(main())
 */
#include <async.h>
#include <stdio.h>

async void task(const char *name, double seconds) {
    printf("Start %s\n", name);
    await(async_sleep(seconds));
    printf("End %s\n", name);
}

async void amain(void) {
    double start = async_time();
    await(async_gather(task("A", 2), task("B", 1), task("C", 3)));
    printf("Finished in %.1f seconds\n", async_time() - start);
}

int main(void) { return async_run(amain()); }
