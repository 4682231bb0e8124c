#!/usr/bin/env python3
"""ping_pong: two tasks pass a counter back and forth through two
asyncio.Queue(maxsize=1), adding one on every hop, N hops in all.

    ping_pong.py [N=200000]

Every hop wakes the other task through the loop's ready queue, so this
measures a task switch plus the Queue's bookkeeping.  uvloop would make
the ready-queue part cheaper; asyncio.Queue and the futures it uses stay
the same Python code.
"""

import asyncio

from benchlib import arg_n, now, report, status_kb


async def player(inbox, outbox, n, start=None):
    """Receives the counter (unless it serves first), sends it on plus
    one; stops after sending or receiving the N-th hop."""
    v = start if start is not None else await inbox.get()
    while v < n:
        await outbox.put(v + 1)
        if v + 1 == n:
            return n
        v = await inbox.get()
    return v


async def main(n):
    rss_before = status_kb("VmRSS")
    t0 = now()
    a_to_b = asyncio.Queue(maxsize=1)
    b_to_a = asyncio.Queue(maxsize=1)
    ping = asyncio.create_task(player(b_to_a, a_to_b, n, 0))
    pong = asyncio.create_task(player(a_to_b, b_to_a, n))
    final_a, final_b = await asyncio.gather(ping, pong)
    seconds = now() - t0
    assert final_a == final_b == n
    report("ping_pong", n, seconds, n, rss_before, final_a)


if __name__ == "__main__":
    asyncio.run(main(arg_n(200_000)))
