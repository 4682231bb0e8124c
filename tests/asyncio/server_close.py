# server.close() and wait_closed(): closing stops accepting without
# cancelling the handlers, and wait_closed() returns once every handler
# has finished.  (Python 3.11's wait_closed waits for the handlers only
# when called before close(), as here; 3.12's always does.)
import asyncio


async def main():
    finished = []

    async def handle(reader, writer):
        await asyncio.sleep(0.05)
        writer.write(b"x")
        await writer.drain()
        writer.close()
        finished.append(1)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def client(i):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        data = await reader.read(1)
        writer.close()
        return data

    clients = [asyncio.create_task(client(i)) for i in range(3)]
    await asyncio.sleep(0.02)
    waiter = asyncio.create_task(server.wait_closed())
    await asyncio.sleep(0)
    server.close()
    print(f"closed, handlers finished: {len(finished)}")
    await waiter
    print(f"wait_closed done, handlers finished: {len(finished)}")
    for c in clients:
        print(f"client got {(await c).decode()}")


asyncio.run(main())
