# asyncio.create_subprocess_exec: a child fed through its stdin and read
# line by line from its stdout, exit codes (a plain one and a death by a
# signal), a program that is not found, and a wait with a deadline that
# ends by killing the child.
import asyncio


async def main():
    p = await asyncio.create_subprocess_exec(
        "sh", "-c", "while read x; do echo \"got $x\"; done; exit 3",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    for word in ("one", "two", "three"):
        p.stdin.write(f"{word}\n".encode())
    await p.stdin.drain()
    p.stdin.close()
    while line := await p.stdout.readline():
        print(line.decode().rstrip())
    print(f"exit {await p.wait()}")

    p = await asyncio.create_subprocess_exec("sh", "-c", "kill -TERM $$")
    print(f"signalled {await p.wait()}")

    try:
        await asyncio.create_subprocess_exec("no-such-program-here")
    except FileNotFoundError:
        print("not found")

    p = await asyncio.create_subprocess_exec("sleep", "10")
    try:
        await asyncio.wait_for(p.wait(), 0.2)
    except TimeoutError:
        p.kill()
        print(f"timed out, killed: {await p.wait()}")


asyncio.run(main())
