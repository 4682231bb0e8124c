#!/usr/bin/env python3
"""sleepers: N tasks each sleep xorshift32 % 1001 milliseconds.

    sleepers.py [N=200000]

The durations are drawn in spawn order from seed 12345, the same
sequence as bench_rand() in bench/common/bench.h; `seconds` runs from
before the first spawn until gather sees the last task wake.

Plain asyncio with the default loop keeps its timers in a heap of
TimerHandle objects; uvloop would keep them in libuv's heap instead, but
each task's Task, coroutine and future stay Python objects either way.
The cyclic garbage collector stays on, as in any program; with N tasks
alive its full collections take about a third of the CPU time at the
default N.
"""

import asyncio

from benchlib import arg_n, bench_rand, now, report, status_kb


async def sleeper(ms):
    await asyncio.sleep(ms / 1000)


async def main(n):
    x = 12345
    total = 0
    tasks = []
    rss_before = status_kb("VmRSS")
    t0 = now()
    for _ in range(n):
        x = bench_rand(x)
        ms = x % 1001
        total += ms
        tasks.append(asyncio.create_task(sleeper(ms)))
    await asyncio.gather(*tasks)
    seconds = now() - t0
    report("sleepers", n, seconds, n, rss_before, total)


if __name__ == "__main__":
    asyncio.run(main(arg_n(200_000)))
