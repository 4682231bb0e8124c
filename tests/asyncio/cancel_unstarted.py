# A task cancelled before its first step never runs its body: awaiting
# it raises CancelledError; a gathering task cancelled before it
# started starts none of its calls.
import asyncio


async def body(name):
    print(f"{name} runs")
    await asyncio.sleep(0)
    return 1


async def main():
    t = asyncio.create_task(body("t"))
    print(f"cancel: {t.cancel()}, done: {t.done()}")
    try:
        await t
    except asyncio.CancelledError:
        print(f"t cancelled: {t.cancelled()}")

    async def gatherer():
        await asyncio.gather(body("g1"), body("g2"))
    g = asyncio.create_task(gatherer())
    g.cancel()
    try:
        await g
    except asyncio.CancelledError:
        print("gather cancelled")


asyncio.run(main())
