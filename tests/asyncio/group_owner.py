# A TaskGroup whose member fails cancels the body of its `async with`:
# the body's sleep is interrupted at once, its cleanup runs, and the
# group raises the member's error (an ExceptionGroup in Python, the
# member's code in C); a cancellation from outside while the owner waits
# for the group stays a cancellation.
import asyncio


async def failing(delay):
    await asyncio.sleep(delay)
    print("member fails")
    raise OSError("boom")


async def long_member():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("long member cancelled")
        raise


async def body():
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(long_member())
            tg.create_task(failing(0.01))
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                print(f"body interrupted early: {loop.time() - start < 5}")
                await asyncio.sleep(0.01)
                print("body cleaned up")
                raise
    except* OSError:
        print("group failed with the member's error")


async def cancelled_from_outside():
    async def owner():
        async with asyncio.TaskGroup() as tg:
            tg.create_task(long_member())
    t = asyncio.create_task(owner())
    await asyncio.sleep(0.01)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print("owner cancelled from outside")


async def main():
    await body()
    await cancelled_from_outside()


asyncio.run(main())
