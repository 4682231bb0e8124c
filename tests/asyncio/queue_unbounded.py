# An unbounded queue (Queue() without maxsize): the producer puts every
# job without ever waiting, then it and two consumers drain it, and
# join() waits for the last task_done as with a bounded queue.
import asyncio


async def consumer(name, q):
    while True:
        try:
            job = await q.get()
        except asyncio.CancelledError:
            print(f"{name} cancelled")
            raise
        await asyncio.sleep(0.001 * job)
        print(f"{name} got job {job}")
        q.task_done()


async def main():
    q = asyncio.Queue()
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    t = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    for job in range(1, 101):
        await q.put(job)
    print(f"put 100 jobs, size {q.qsize()}, suspended: {ticks != before}")
    t.cancel()
    consumers = [asyncio.create_task(consumer(f"c{i}", q)) for i in range(2)]
    for _ in range(95):
        await q.get()
        q.task_done()
    print(f"left: {q.qsize()}")
    await q.join()
    print("joined")
    for c in consumers:
        c.cancel()
    for c in consumers:
        try:
            await c
        except asyncio.CancelledError:
            pass


asyncio.run(main())
