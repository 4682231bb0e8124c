#!/usr/bin/env python3
"""echo_server: a TCP echo server on asyncio streams.

    echo_server.py N PORT      (N is ignored; PORT 0: an ephemeral port)

It listens on 127.0.0.1, prints "PORT <n>" on stderr, and on SIGINT or
SIGTERM stops and prints the bench_report line: n = connections
accepted, ops = messages = bytes echoed / 64, check = bytes echoed,
seconds from the first accepted connection to the signal.

asyncio.start_server with a StreamReader/StreamWriter pair per
connection is the idiom; `await writer.drain()` gives the backpressure
(it waits only when the transport's buffer is over its high-water mark).
asyncio sets TCP_NODELAY on its TCP transports.  A Protocol subclass
would skip the stream layer and be faster, and uvloop would replace the
selector loop and transports with libuv's; neither is used here, since
plain asyncio streams are what the comparison is about.
"""

import asyncio
import signal
import sys

from benchlib import now, report, status_kb

stats = {"accepted": 0, "bytes": 0, "t_first": 0.0}


async def handle(reader, writer):
    if stats["accepted"] == 0:
        stats["t_first"] = now()
    stats["accepted"] += 1
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            stats["bytes"] += len(data)
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass  # a client that resets instead of closing: done either way
    finally:
        writer.close()


async def main(port):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    rss_before = status_kb("VmRSS")
    server = await asyncio.start_server(handle, "127.0.0.1", port,
                                        backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", file=sys.stderr,
          flush=True)
    await stop.wait()
    t_stop = now()
    t_first = stats["t_first"]
    report("echo_server", stats["accepted"],
           t_stop - t_first if t_first else 0.0, stats["bytes"] / 64,
           rss_before, stats["bytes"])
    # asyncio.run then cancels the connections' tasks.
    server.close()


def parse_port():
    try:
        port = int(sys.argv[2])
    except (IndexError, ValueError):
        port = -1
    if not 0 <= port <= 65535:
        print(f"usage: {sys.argv[0]} N PORT  (0: an ephemeral port)",
              file=sys.stderr)
        sys.exit(2)
    return port


if __name__ == "__main__":
    asyncio.run(main(parse_port()))
