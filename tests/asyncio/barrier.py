# asyncio.Barrier: arrival indexes, a second cycle, tasks arriving while
# it drains, abort and reset (BrokenBarrierError), and cancellation
# while filling (the task leaves; indexes are taken again) and after the
# release.
import asyncio


async def party(b, name, delay, rounds):
    if delay >= 0:
        await asyncio.sleep(delay)
    for _ in range(rounds):
        print(f"{name} arrives")
        try:
            index = await b.wait()
        except asyncio.BrokenBarrierError:
            print(f"{name}: broken")
            return -1
        except asyncio.CancelledError:
            print(f"{name}: cancelled")
            raise
        print(f"{name} leaves with index {index}")
    return index


async def cycles():
    b = asyncio.Barrier(3)
    tasks = [asyncio.create_task(party(b, f"p{i}", -1, 2)) for i in range(2)]
    await asyncio.sleep(0)
    print(f"waiting: {b.n_waiting} of {b.parties}")
    tasks.append(asyncio.create_task(party(b, "p2", -1, 2)))
    for t in tasks:
        await t
    print(f"waiting: {b.n_waiting}, broken: {b.broken}")


async def abort_and_reset():
    b = asyncio.Barrier(3)
    tasks = [asyncio.create_task(party(b, f"a{i}", -1, 1)) for i in range(2)]
    await asyncio.sleep(0)
    await b.abort()
    print(f"aborted: broken {b.broken}, waiting {b.n_waiting}")
    for t in tasks:
        await t
    try:
        await b.wait()
    except asyncio.BrokenBarrierError:
        print("main: broken")
    await b.reset()
    print(f"reset: broken {b.broken}")
    tasks = [asyncio.create_task(party(b, f"r{i}", 0, 1)) for i in range(2)]
    await asyncio.sleep(0)
    print(f"main leaves with index {await b.wait()}")
    for t in tasks:
        await t
    # Reset while two wait: both fail; one arriving meanwhile waits for
    # them to leave, then arrives first.
    b = asyncio.Barrier(3)
    tasks = [asyncio.create_task(party(b, f"s{i}", -1, 1)) for i in range(2)]
    await asyncio.sleep(0)
    late = asyncio.create_task(party(b, "l0", -1, 1))
    await b.reset()
    print(f"reset: waiting {b.n_waiting}, broken {b.broken}")
    for t in tasks:
        await t
    await asyncio.sleep(0.01)
    print(f"waiting: {b.n_waiting}")
    last = asyncio.create_task(party(b, "l1", 0, 1))
    print(f"main leaves with index {await b.wait()}")
    await late
    await last


async def cancelled():
    b = asyncio.Barrier(3)
    c0 = asyncio.create_task(party(b, "c0", -1, 1))
    c1 = asyncio.create_task(party(b, "c1", -1, 1))
    await asyncio.sleep(0)
    c0.cancel()
    try:
        await c0
    except asyncio.CancelledError:
        pass
    print(f"waiting: {b.n_waiting}")
    c2 = asyncio.create_task(party(b, "c2", 0, 1))
    c3 = asyncio.create_task(party(b, "c3", 0, 1))
    print(f"results {await c1} {await c2} {await c3}")
    # Cancelled after the release, before it ran.
    b = asyncio.Barrier(2)
    d0 = asyncio.create_task(party(b, "d0", -1, 1))
    await asyncio.sleep(0)
    print(f"main leaves with index {await b.wait()}")
    d0.cancel()
    try:
        await d0
    except asyncio.CancelledError:
        pass
    print(f"waiting: {b.n_waiting}")


async def main():
    await cycles()
    await abort_and_reset()
    await cancelled()


asyncio.run(main())
