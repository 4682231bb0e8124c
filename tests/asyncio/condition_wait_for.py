# Condition.wait_for: waiters for different thresholds wake when a
# counter reaches theirs; the predicate is checked first (no wait when
# it is true already) and after each notification, with the lock held;
# a cancelled waiter re-acquires the lock before it fails.
import asyncio


async def main():
    cond = asyncio.Condition()
    state = {"n": 0}
    checks = []

    def reached(name, target):
        def pred():
            checks.append(name)
            return state["n"] >= target
        return pred

    async def waiter(name, target):
        async with cond:
            try:
                r = await cond.wait_for(reached(name, target))
            except asyncio.CancelledError:
                print(f"{name} cancelled, lock held: {cond.locked()}")
                raise
            print(f"{name} reached {target} at n={state['n']}: {r}")

    async with cond:
        await cond.wait_for(reached("main", 0))
        print("main: no wait")
    tasks = [asyncio.create_task(waiter(f"w{t}", t)) for t in (2, 4, 100)]
    for _ in range(5):
        await asyncio.sleep(0.001)
        async with cond:
            state["n"] += 1
            print(f"n = {state['n']}")
            cond.notify_all()
    await asyncio.sleep(0.001)
    tasks[2].cancel()
    for t in tasks:
        try:
            await t
        except asyncio.CancelledError:
            pass
    print(f"checks: {' '.join(checks)}")


asyncio.run(main())
