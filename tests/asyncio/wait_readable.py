# loop.add_reader: a task waits until a pipe is readable, reads what is
# there, and waits again, until end of file; then a wait with a deadline
# on a pipe nobody writes to.
import asyncio
import os


async def readable(loop, fd):
    fut = loop.create_future()
    loop.add_reader(fd, fut.set_result, None)
    try:
        await fut
    finally:
        loop.remove_reader(fd)


async def writer(fd):
    for i in range(3):
        await asyncio.sleep(0.05)
        os.write(fd, f"message {i}\n".encode())
    os.close(fd)


async def main():
    loop = asyncio.get_running_loop()
    r, w = os.pipe()
    t = asyncio.create_task(writer(w))
    while True:
        await readable(loop, r)
        data = os.read(r, 100)
        if not data:
            print("end of file")
            break
        print(f"read {data.decode().strip()}")
    await t
    os.close(r)

    r, w = os.pipe()
    try:
        await asyncio.wait_for(readable(loop, r), 0.1)
    except TimeoutError:
        print("nothing to read in 0.1 s")
    os.close(r)
    os.close(w)


asyncio.run(main())
