#!/usr/bin/env python3
"""spawn_gather: N tasks that each yield once and return i % 7, gathered
and summed.

    spawn_gather.py [N=200000]

Plain asyncio with the default (selector) loop.  uvloop would speed up
the scheduling of ready callbacks somewhat, but the task and coroutine
objects, which dominate both the time and the memory here, are the same.
The cyclic garbage collector stays on, as in any program: with N tasks
alive, each collection of the oldest generation walks all of them, which
about doubles the time at the default N (gc.disable() is not the idiom).
"""

import asyncio

from benchlib import arg_n, now, report, status_kb


async def task(i):
    # sleep(0) is asyncio's "yield once": the task goes back on the
    # ready queue and the others run before it resumes.
    await asyncio.sleep(0)
    return i % 7


async def main(n):
    rss_before = status_kb("VmRSS")
    t0 = now()
    tasks = [asyncio.create_task(task(i)) for i in range(n)]
    results = await asyncio.gather(*tasks)
    total = sum(results)
    seconds = now() - t0
    report("spawn_gather", n, seconds, n, rss_before, total)


if __name__ == "__main__":
    asyncio.run(main(arg_n(200_000)))
