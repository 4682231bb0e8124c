# asyncio.wait in each mode, with a timeout that cancels nothing, and a
# waiting task cancelled while the tasks it waits for run on.
import asyncio


async def job(name, delay, fail):
    await asyncio.sleep(delay)
    if fail:
        print(f"{name} fails")
        raise RuntimeError(name)
    print(f"{name} finished")
    return len(name)


def report(label, tasks, done):
    states = " ".join("done" if t in done else "pending" for t in tasks)
    print(f"{label}: {len(done)} done: {states}")


async def waiter(tasks):
    try:
        await asyncio.wait(tasks)
    except asyncio.CancelledError:
        print("waiter cancelled")
        raise


async def main():
    tasks = [
        asyncio.create_task(job("a", 0.4, False)),
        asyncio.create_task(job("bb", 0.1, False)),
        asyncio.create_task(job("ccc", 0.2, True)),
        asyncio.create_task(job("dddd", 0.8, False)),
    ]
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    report("first completed", tasks, done)
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    report("first exception", tasks, done)
    done, _ = await asyncio.wait(tasks, timeout=0.3)
    report("timeout", tasks, done)
    w = asyncio.create_task(waiter(tasks))
    await asyncio.sleep(0.1)
    w.cancel()
    try:
        await w
    except asyncio.CancelledError:
        print("dddd still running:", not tasks[3].done())
    done, _ = await asyncio.wait(tasks, return_when=asyncio.ALL_COMPLETED)
    report("all completed", tasks, done)
    for t in tasks:
        if t.exception() is not None:
            print(f"result: error {t.exception()}")
        else:
            print(f"result: {t.result()}")


asyncio.run(main())
