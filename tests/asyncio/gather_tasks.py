# asyncio.gather over tasks with return_exceptions=True: every result and
# every error; then a gathering task cancelled, which cancels the tasks
# it gathers and waits for their cleanup.
import asyncio


class Failure(Exception):
    pass


async def square_half(i, delay):
    await asyncio.sleep(delay)
    if i == 1:
        raise Failure()
    return i * i / 2


async def child(i):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(f"child {i} cleans up")
        raise


async def gatherer(tasks):
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        print("gather cancelled")
        raise


async def main():
    tasks = [asyncio.create_task(square_half(i, 0.1 * (4 - i)))
             for i in range(4)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for i, r in enumerate(results):
        if isinstance(r, Failure):
            print(f"task {i}: failed")
        else:
            print(f"task {i}: {r:.1f}")

    children = [asyncio.create_task(child(i)) for i in range(3)]
    g = asyncio.create_task(gatherer(children))
    await asyncio.sleep(0.1)
    g.cancel()
    try:
        await g
    except asyncio.CancelledError:
        pass
    print("children cancelled:", sum(c.cancelled() for c in children))


asyncio.run(main())
