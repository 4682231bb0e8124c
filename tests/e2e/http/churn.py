#!/usr/bin/env python3
"""churn.py -- connection churn against samples/http.c.

    churn.py SERVER [--rounds R] [--conns N] [--batch B]... [--seed S]

Starts SERVER (the http sample) on an ephemeral port with its idle and
header timeouts off, so that only the clients' own hang-ups can free a
connection, then opens R rounds of N connections, B at a time (each
round the next --batch; by default 50, 200, 500, 1000), each
dropped at a random point of a request: before sending anything, inside
the request line or the headers, inside a body, right after a complete
request, while reading the response, after a keep-alive response,
during a /sleep; half of them closed with a FIN, half reset (SO_LINGER
0).  Afterwards every handler must have seen its client go: the server's
count of open descriptors (/proc/PID/fd) must come back to what it was
before the churn within a few seconds, and a plain GET must still work.

On failure it prints the sockets still open on the server's port (ss)
and the server's task dump (SIGQUIT, in debug builds), then stops the
server.  The server must write nothing on stderr: a client's reset ends
its handler quietly.  Exits 0 on
success, 1 on failure.
"""
import argparse
import os
import random
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time

REQ = b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: churn\r\n\r\n"
SLEEP_REQ = b"GET /sleep?ms=30 HTTP/1.1\r\nHost: x\r\n\r\n"
POST_HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"

# What a client sends before it goes; None reads a response in between.
SCRIPTS = [
    [],                                   # connect, go
    [REQ[:7]],                            # inside the request line
    [REQ[:20]],                           # inside a header
    [REQ[:-2]],                           # all but the empty line
    [POST_HEAD + b"x" * 300],             # inside a body
    [REQ],                                # a request, no reading
    [REQ, "read-some"],                   # part of the response
    [REQ, "read", REQ[:10]],              # keep-alive, then a partial one
    [REQ, "read", REQ],                   # keep-alive, unread second
    [REQ * 4],                            # pipelined, no reading
    [SLEEP_REQ],                          # gone while the handler sleeps
]


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def drop(s, rng):
    if rng.random() < 0.5:
        # A reset instead of a FIN.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    s.close()


def step(s, item):
    """Plays one item of a script; False when the server went first."""
    try:
        if item == "read-some":
            s.recv(10)
        elif item == "read":
            got = b""
            while b"</html>" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    return False
                got += chunk
        else:
            s.sendall(item)
    except OSError:
        return False
    return True


def open_batch(port, k):
    """k connections, connected at once (non-blocking), in 2 s at most;
    the ones still connecting then are closed."""
    sel = selectors.DefaultSelector()
    pending = []
    for _ in range(k):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        sel.register(s, selectors.EVENT_WRITE)
        pending.append(s)
    done = []
    deadline = time.monotonic() + 2
    while len(done) < len(pending) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.1):
            sel.unregister(key.fileobj)
            done.append(key.fileobj)
    sel.close()
    ready = set(done)
    socks = []
    for s in pending:
        if s in ready and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            s.setblocking(True)
            s.settimeout(2)
            socks.append(s)
        else:
            s.close()
    return socks


def one_round(port, n, batch, rng):
    for start in range(0, n, batch):
        socks = [(s, list(rng.choice(SCRIPTS)))
                 for s in open_batch(port, min(batch, n - start))]
        # Interleave the clients: each does its steps in turns, and goes at
        # a random turn, so hang-ups meet the handlers at every point.
        while socks:
            i = rng.randrange(len(socks))
            s, script = socks[i]
            if not script or rng.random() < 0.25:
                drop(s, rng)
                socks.pop(i)
                continue
            if not step(s, script.pop(0)):
                drop(s, rng)
                socks.pop(i)


def get_ok(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    return got.startswith(b"HTTP/1.1 200 ")


def wait_fds(pid, want, seconds):
    deadline = time.monotonic() + seconds
    n = fd_count(pid)
    while n != want and time.monotonic() < deadline:
        time.sleep(0.05)
        n = fd_count(pid)
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--conns", type=int, default=2000)
    ap.add_argument("--batch", type=int, action="append",
                    help="connections open at once, per round in turn")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds the descriptors get to come back")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print("seed %d" % seed)

    server = subprocess.Popen([args.server, "--idle-timeout", "0",
                               "--header-timeout", "0", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    ok = False
    try:
        line = server.stdout.readline().split()
        if len(line) != 3 or line[:2] != ["listening", "on"]:
            print("FAIL: no 'listening on PORT' line: %r" % line)
            return 1
        port = int(line[2])
        # A first request makes the server open what it keeps (the epoll
        # instance, the signal watch); it closes this connection before
        # its client sees the end of the stream.
        if not get_ok(port):
            print("FAIL: the first GET / failed")
            return 1
        base = fd_count(server.pid)
        print("descriptors before: %d" % base)
        batches = args.batch or [50, 200, 500, 1000]
        for r in range(args.rounds):
            batch = batches[r % len(batches)]
            t0 = time.monotonic()
            one_round(port, args.conns, batch, rng)
            print("round %d: %d connections, %d at once, in %.1f s, "
                  "descriptors %d" % (r + 1, args.conns, batch,
                                      time.monotonic() - t0,
                                      fd_count(server.pid)))
        n = wait_fds(server.pid, base, args.settle)
        if n != base:
            print("FAIL: %d descriptors open %.0f s after the churn, %d before"
                  % (n, args.settle, base))
            subprocess.run(["ss", "-tanoi", "sport", "= :%d" % port],
                           check=False)
            server.send_signal(signal.SIGQUIT)
            time.sleep(1)
            return 1
        if not get_ok(port):
            print("FAIL: GET / failed after the churn")
            return 1
        print("descriptors after: %d" % n)
        ok = True
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                ok = False
                print("FAIL: the server did not stop on SIGTERM")
        err = server.stderr.read()
        if err:
            # Resets and hang-ups end handlers quietly: any line is news.
            print("--- server stderr:")
            print(err[-20000:])
            if ok:
                print("FAIL: the server wrote on stderr")
            ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
