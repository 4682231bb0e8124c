#!/usr/bin/env python3
"""await_chain: one task awaits add_one(i) N times and sums the results.

    await_chain.py [N=1000000]

Awaiting a coroutine directly does not go through the event loop: the
callee runs inside the caller's frame until it returns, which is what
asyncc's await of an async function does too.  The loop (plain asyncio,
default policy) only starts and finishes the one task, so uvloop would
not change this number.
"""

import asyncio

from benchlib import arg_n, now, report, status_kb


async def add_one(x):
    return x + 1


async def chain(n):
    total = 0
    for i in range(n):
        total += await add_one(i)
    return total


async def main(n):
    rss_before = status_kb("VmRSS")
    t0 = now()
    total = await chain(n)
    seconds = now() - t0
    report("await_chain", n, seconds, n, rss_before, total)


if __name__ == "__main__":
    # ~150 ns per await: a smaller default than the C programs' 10M.
    asyncio.run(main(arg_n(1_000_000)))
