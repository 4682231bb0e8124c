# asyncio.as_completed: results in the order the tasks finish, then the
# same with a deadline that passes before the slowest have finished.
import asyncio


async def fetch(i, delay):
    await asyncio.sleep(delay)
    return i * 10


async def main():
    delays = [0.3, 0.1, 0.4, 0.2]
    tasks = [asyncio.create_task(fetch(i, d)) for i, d in enumerate(delays)]
    for next_done in asyncio.as_completed(tasks):
        print(f"got {await next_done}")

    delays = [0.5, 0.1, 0.9, 0.2]
    tasks = [asyncio.create_task(fetch(i, d)) for i, d in enumerate(delays)]
    try:
        for next_done in asyncio.as_completed(tasks, timeout=0.35):
            print(f"got {await next_done}")
    except TimeoutError:
        print("timed out")
    print(f"{sum(t.done() for t in tasks)} done, the others still run")
    for t in tasks:
        t.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    print(f"{sum(isinstance(r, asyncio.CancelledError) for r in results)} "
          "cancelled")


asyncio.run(main())
