#!/usr/bin/env python3
"""run_fetch.py -- end-to-end test of samples/fetch.c.

    run_fetch.py FETCH [--valgrind VALGRIND]

Serves a temporary directory of files (empty to 3 MB, random bytes) over
HTTP/1.1 on 127.0.0.1, from a thread of this process, on a free port:

    /f/NAME            the file (keep-alive)
    /f/NAME?close      the file, then the connection is closed
    /slow/MS/NAME      the file after MS milliseconds
    anything else      404 with the body "not found\\n"

The server counts the requests it is answering at once and keeps the
maximum.  Then it runs FETCH (under valgrind when asked: any memory error
or leak fails) and checks:

 1. 20 URLs with -j 4 and --heartbeat: every line, in the order given,
    has the file's status, size and CRC-32; a 404; a refused port (a
    socket bound but not listening); the summary line and exit status 1;
    the server saw exactly 4 requests at once; the loop's heartbeat never
    paused long (not checked under valgrind).
 2. 8 URLs each delayed 0.5 s: with -j 4 they take about 1 s and the
    server sees 4 at once; with -j 8 about 0.5 s and 8 at once.
 3. --timeout 0.5: a 3 s response gives "error timeout" in about 0.5 s
    while a fast one succeeds.
 4. 60 URLs on connections that close after each response, -j 8: all
    succeed (descriptors come and go, and their numbers are reused).
 5. Bad command lines exit 2 with a usage message; an unsupported URL
    scheme is that URL's error.

The server is stopped on every way out.  Exits 0 on success, 1 on
failure.
"""
import http.server
import os
import random
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import zlib

FILES = {
    "empty": 0,
    "small.txt": 13,
    "k1.bin": 1000,
    "k64.bin": 65537,
    "m1.bin": 1 << 20,
    "m3.bin": 3 * (1 << 20) + 7,
}
NOT_FOUND = b"not found\n"


class Failure(Exception):
    pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, root):
        self.root = root
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.requests = 0
        super().__init__(("127.0.0.1", 0), Handler)

    def reset(self):
        with self.lock:
            self.max_active = self.active
            self.requests = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.active += 1
            srv.requests += 1
            srv.max_active = max(srv.max_active, srv.active)
        try:
            self.answer()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up: a timeout
        finally:
            with srv.lock:
                srv.active -= 1

    def answer(self):
        path, _, query = self.path.partition("?")
        m = re.fullmatch(r"/slow/(\d+)/([\w.]+)", path)
        if m:
            time.sleep(int(m.group(1)) / 1000)
            path = "/f/" + m.group(2)
        body, status = NOT_FOUND, 404
        m = re.fullmatch(r"/f/([\w.]+)", path)
        if m and m.group(1) in FILES:
            with open(os.path.join(self.server.root, m.group(1)), "rb") as f:
                body, status = f.read(), 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if query == "close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)


def main():
    args = sys.argv[1:]
    if not args:
        print("usage: run_fetch.py FETCH [--valgrind VALGRIND]")
        return 2
    fetch, valgrind = args[0], None
    if args[1:2] == ["--valgrind"] and len(args) == 3:
        valgrind = args[2]

    tmp = tempfile.mkdtemp(prefix="asyncc-fetch.")
    server = None
    refused = None
    try:
        crcs = {}
        rnd = random.Random(20240601)
        for name, size in FILES.items():
            data = rnd.randbytes(size)
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
            crcs[name] = zlib.crc32(data)
        server = Server(tmp)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        refused = socket.socket()  # bound, never listening: refuses
        refused.bind(("127.0.0.1", 0))
        checks(fetch, valgrind, server, crcs, refused.getsockname()[1])
    except Failure as e:
        print(f"FAIL e2e.fetch: {e}")
        return 1
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if refused is not None:
            refused.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS e2e.fetch" + (" under valgrind" if valgrind else ""))
    return 0


def run(fetch, valgrind, args):
    """Runs fetch: (exit status, stdout lines, stderr, seconds)."""
    cmd = [fetch] + args
    if valgrind:
        cmd = [valgrind, "-q", "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite,indirect"] + cmd
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=150 if valgrind else 60)
    except subprocess.TimeoutExpired:
        raise Failure(f"{' '.join(args)[:200]}: no exit after the time limit")
    elapsed = time.monotonic() - start
    if valgrind and p.returncode == 99:
        raise Failure(f"valgrind found errors:\n{p.stderr}")
    return p.returncode, p.stdout.splitlines(), p.stderr, elapsed


def expect(cond, what, out=None, err=None):
    if not cond:
        detail = ""
        if out is not None:
            detail += "\n--- stdout:\n" + "\n".join(out)
        if err is not None:
            detail += "\n--- stderr:\n" + err
        raise Failure(what + detail)


def checks(fetch, valgrind, server, crcs, refused_port):
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def ok_line(url, name):
        return f"{url} 200 {FILES[name]} {crcs[name]:08x}"

    # 1. A mixed list, -j 4.
    urls, want = [], []
    for name in FILES:
        urls.append(f"{base}/f/{name}")
        want.append(ok_line(urls[-1], name))
    for name in ("small.txt", "k1.bin", "k64.bin", "m1.bin"):
        urls.append(f"{base}/f/{name}?close")
        want.append(ok_line(urls[-1], name))
    names = list(FILES)
    for i in range(8):
        urls.append(f"{base}/slow/300/{names[i % len(names)]}")
        want.append(ok_line(urls[-1], names[i % len(names)]))
    urls.append(f"{base}/f/missing")
    want.append(f"{urls[-1]} 404 {len(NOT_FOUND)} {zlib.crc32(NOT_FOUND):08x}")
    urls.append(f"http://127.0.0.1:{refused_port}/f/small.txt")
    want.append(None)  # checked below
    server.reset()
    rc, out, err, t = run(fetch, valgrind, ["-j", "4", "--heartbeat"] + urls)
    expect(len(out) == len(urls) + 1,
           f"{len(urls)} URLs gave {len(out)} lines", out, err)
    for line, w in zip(out, want):
        if w is not None:
            expect(line == w, f"expected '{w}', got '{line}'", out, err)
    refused_line = out[len(urls) - 1]
    expect(refused_line.startswith(urls[-1] + " error ") and
           "connect" in refused_line.lower(),
           f"the refused port gave '{refused_line}'", out, err)
    expect(out[-1] == f"{len(urls)} URLs: {len(urls) - 2} ok, 2 failed",
           f"summary line '{out[-1]}'", out, err)
    expect(rc == 1, f"exit status {rc} with a 404 and a refused port",
           out, err)
    expect(server.max_active == 4,
           f"-j 4: the server saw at most {server.max_active} requests at "
           "once, not 4", out, err)
    expect(server.requests == len(urls) - 1,
           f"the server got {server.requests} requests, not {len(urls) - 1}",
           out, err)
    expect(t >= 0.6, f"8 responses of 0.3 s with -j 4 done in {t:.2f} s",
           out, err)
    m = re.search(r"^heartbeat: (\d+) ticks in ([\d.]+) s, longest gap (\d+) ms$",
                  err, re.M)
    expect(m is not None, "no heartbeat line", out, err)
    ticks, gap = int(m.group(1)), int(m.group(3))
    expect(ticks >= 10, f"the heartbeat ticked {ticks} times", out, err)
    if not valgrind:
        expect(gap < 250, f"the loop paused {gap} ms", out, err)
    print(f"ok: {len(urls)} URLs with -j 4 in {t:.2f} s: bodies, 404, "
          f"refused port, 4 at once, heartbeat {ticks} ticks, "
          f"longest gap {gap} ms")

    # 2. The limit, timed: 8 x 0.5 s.
    slow = [f"{base}/slow/500/k1.bin"] * 8
    for jobs, low, high in ((4, 1.0, 1.9), (8, 0.5, 0.95)):
        server.reset()
        rc, out, err, t = run(fetch, valgrind, ["-j", str(jobs)] + slow)
        expect(rc == 0 and out[:8] == [ok_line(slow[0], "k1.bin")] * 8,
               f"-j {jobs}: exit status {rc}", out, err)
        expect(server.max_active == jobs,
               f"-j {jobs}: the server saw {server.max_active} requests at "
               "once", out, err)
        expect(t >= low, f"-j {jobs}: 8 x 0.5 s in {t:.2f} s", out, err)
        if not valgrind:
            expect(t < high,
                   f"-j {jobs}: 8 x 0.5 s took {t:.2f} s, not about {low} s",
                   out, err)
        print(f"ok: -j {jobs}: 8 responses of 0.5 s in {t:.2f} s, "
              f"{server.max_active} at once")

    # 3. A deadline per transfer.
    late, fast = f"{base}/slow/3000/small.txt", f"{base}/f/small.txt"
    rc, out, err, t = run(fetch, valgrind, ["--timeout", "0.5", late, fast])
    expect(out[:3] == [f"{late} error timeout", ok_line(fast, "small.txt"),
                       "2 URLs: 1 ok, 1 failed"] and rc == 1,
           f"--timeout 0.5: exit status {rc}", out, err)
    expect(t >= 0.5, f"--timeout 0.5 returned after {t:.2f} s", out, err)
    if not valgrind:
        expect(t < 2.0, f"--timeout 0.5 took {t:.2f} s", out, err)
    print(f"ok: --timeout 0.5 against a 3 s response: timeout in {t:.2f} s")

    # 4. Many short connections.
    many = [f"{base}/f/{names[i % 4]}?close" for i in range(60)]
    rc, out, err, t = run(fetch, valgrind, ["-j", "8"] + many)
    expect(rc == 0 and out[:60] == [ok_line(u, names[i % 4])
                                    for i, u in enumerate(many)],
           f"60 closing connections: exit status {rc}", out, err)
    print(f"ok: 60 URLs on closing connections with -j 8 in {t:.2f} s")

    # 5. Bad input.
    for bad in ([], ["-j", "0", fast], ["-j", "x", fast],
                ["--timeout", "-1", fast], ["--timeout", "soon", fast],
                ["-q", fast], ["-j"]):
        rc, out, err, _ = run(fetch, valgrind, bad)
        expect(rc == 2 and "usage: fetch" in err and not out,
               f"fetch {' '.join(bad)}: exit status {rc}", out, err)
    rc, out, err, _ = run(fetch, valgrind, ["nosuch://x", fast])
    expect(rc == 1 and len(out) == 3 and
           out[0].startswith("nosuch://x error ") and
           "protocol" in out[0].lower() and out[1] == ok_line(fast, "small.txt"),
           f"an unsupported scheme: exit status {rc}", out, err)
    print("ok: bad command lines exit 2 with the usage; a bad scheme is "
          f"that URL's error: '{out[0]}'")


if __name__ == "__main__":
    sys.exit(main())
