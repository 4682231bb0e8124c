# asyncio.run: when main returns, the tasks still pending are cancelled
# and their cleanup runs to its end (awaits included) before run()
# returns main's result; a task cancelled before it started never runs.
import asyncio


async def worker(name, cleanup):
    print(f"{name} starts")
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(f"{name} cancelled, cleaning up")
        await asyncio.sleep(cleanup)
        print(f"{name} cleaned up")
        raise


async def never():
    print("never runs")


async def main():
    asyncio.create_task(worker("w1", 0.2))
    asyncio.create_task(worker("w2", 0.05))
    await asyncio.sleep(0)
    t = asyncio.create_task(never())
    t.cancel()
    asyncio.create_task(never())
    print("main returns")
    return 7


print(f"run returned {asyncio.run(main())}")
