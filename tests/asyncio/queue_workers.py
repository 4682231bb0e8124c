# Workers share a bounded queue of jobs; the producer waits for them all
# with join(), then the workers are cancelled (asyncio's Queue example).
import asyncio


async def worker(name, q, done):
    while True:
        job = await q.get()
        await asyncio.sleep(job * 0.05)
        done.append(job)
        print(f"{name} finished job {job}")
        q.task_done()


async def main():
    q = asyncio.Queue(2)
    done = []
    workers = [asyncio.create_task(worker(f"worker-{i}", q, done))
               for i in range(3)]
    for job in range(1, 7):
        await q.put(job)
        print(f"queued job {job}")
    await q.join()
    print(f"all {len(done)} jobs done, sum {sum(done)}")
    for w in workers:
        w.cancel()
    for w in workers:
        try:
            await w
        except asyncio.CancelledError:
            print("worker cancelled")


asyncio.run(main())
