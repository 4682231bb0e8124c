#!/usr/bin/env python3
"""features.py -- samples/http.c's protocol details and limits, with
python's http.client, raw sockets and curl.

    features.py SERVER

Checks, each against a fresh server on an ephemeral port:
- HEAD gets the head of the GET response and no body, so a GET after it
  on the same keep-alive connection is read correctly (http.client);
- "Expect: 100-continue" with a body gets "HTTP/1.1 100 Continue" before
  the body is sent (a 60 KB upload with curl takes well under the 1 s
  curl would wait without it); HTTP/1.0 gets none; another expectation
  gets 417;
- an absolute-form target is served; an HTTP/1.1 request without Host,
  or with two, gets 400; HTTP/1.0 without Host is served;
- --idle-timeout: a kept-alive connection is closed after it;
- --header-timeout: a head that is not complete in time gets 408 and the
  connection is closed, also for a client that sends nothing;
- under RLIMIT_NOFILE 64, with 70 idle connections open, a new client is
  served once the header timeout has freed descriptors.
Exits 0 on success, 1 on the first failure.
"""
import http.client
import resource
import shutil
import socket
import subprocess
import sys
import time

PAGE_MARK = b"Hello from asyncc"


class Server:
    def __init__(self, path, *args, nofile=None):
        def limit():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen([path, *args, "0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     preexec_fn=limit)
        line = self.proc.stdout.readline().split()
        if len(line) != 3 or line[:2] != ["listening", "on"]:
            self.stop()
            fail("no 'listening on PORT' line: %r" % line)
        self.port = int(line[2])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("the server did not stop on SIGTERM")
        if self.proc.returncode != 0:
            fail("server exit status %d, stderr: %s" %
                 (self.proc.returncode, self.proc.stderr.read()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def fail(msg):
    print("FAIL e2e.http.features: " + msg)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg)


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def read_response(s):
    """One response from raw socket s: (status line, headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            fail("connection closed before a response head: %r" % data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for h in lines[1:]:
        k, _, v = h.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(4096)
        if not chunk:
            break
        rest += chunk
    return lines[0], headers, rest[:n]


def status_of(port, request):
    s = connect(port)
    try:
        s.sendall(request)
        return read_response(s)
    finally:
        s.close()


def closed_within(s, seconds):
    """Seconds until the peer closed s (recv gives b''), or None."""
    s.settimeout(seconds)
    t0 = time.monotonic()
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return time.monotonic() - t0, data
            data += chunk
    except (socket.timeout, ConnectionResetError):
        return None, data


def test_head(path):
    with Server(path) as srv:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
        c.request("GET", "/")
        r = c.getresponse()
        page = r.read()
        if r.status != 200 or PAGE_MARK not in page:
            fail("GET / gave %d" % r.status)
        for target, want in (("/", 200), ("/nope", 404), ("/sleep?ms=1", 200)):
            c.request("HEAD", target)
            r = c.getresponse()
            body = r.read()
            if r.status != want or body != b"":
                fail("HEAD %s gave %d with %r" % (target, r.status, body))
            if target == "/" and int(r.getheader("Content-Length")) != len(page):
                fail("HEAD / Content-Length %s, GET sent %d bytes" %
                     (r.getheader("Content-Length"), len(page)))
            # The next response on the connection must parse.
            c.request("GET", "/")
            r = c.getresponse()
            if r.status != 200 or r.read() != page:
                fail("GET after HEAD %s on one connection gave %d" %
                     (target, r.status))
        c.close()
        # Raw: a HEAD and a GET sent at once get exactly two responses.
        s = connect(srv.port)
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        s.close()
        first, _, second = got.partition(b"\r\n\r\n")
        if not first.startswith(b"HTTP/1.1 200 ") or \
                not second.startswith(b"HTTP/1.1 404 "):
            fail("HEAD then GET pipelined: %r" % got)
        # 405 carries Allow; its HEAD form has no body either.
        line, headers, body = status_of(
            srv.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        if not line.startswith("HTTP/1.1 405 ") or \
                headers.get("allow") != "GET, HEAD":
            fail("POST / gave %r %r" % (line, headers))
    ok("HEAD has no body; GET after HEAD on one connection parses")


def test_expect(path):
    body = b"x" * 60000
    with Server(path) as srv:
        s = connect(srv.port)
        s.sendall(b"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                  b"Expect: 100-continue\r\n\r\n" % len(body))
        s.settimeout(1)
        want = b"HTTP/1.1 100 Continue\r\n\r\n"
        got = b""
        try:
            while len(got) < len(want):
                chunk = s.recv(len(want) - len(got))
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            pass
        if got != want:
            fail("Expect: 100-continue: got %r before the body" % got)
        s.settimeout(5)
        s.sendall(body)
        line, _, _ = read_response(s)
        if not line.startswith("HTTP/1.1 405 "):
            fail("after the 100-continue body: %r" % line)
        # Still usable.
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        line, _, page = read_response(s)
        if not line.startswith("HTTP/1.1 200 ") or PAGE_MARK not in page:
            fail("GET after the upload: %r" % line)
        s.close()
        # HTTP/1.0: no 100 (RFC 9110 10.1.1), the final response only.
        line, _, _ = status_of(
            srv.port, b"POST / HTTP/1.0\r\nContent-Length: 3\r\n"
                      b"Expect: 100-continue\r\n\r\nabc")
        if not line.startswith("HTTP/1.0 405 ") and \
                not line.startswith("HTTP/1.1 405 "):
            fail("HTTP/1.0 with Expect: %r" % line)
        line, _, _ = status_of(
            srv.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                      b"Expect: something-else\r\n\r\nabc")
        if not line.startswith("HTTP/1.1 417 "):
            fail("another expectation: %r" % line)
        # curl sends Expect: 100-continue for this upload and would wait
        # 1 s for the 100 before sending the body anyway.
        if shutil.which("curl"):
            t0 = time.monotonic()
            r = subprocess.run(
                ["curl", "-sS", "--max-time", "10", "-o", "/dev/null",
                 "-w", "%{http_code}", "-H", "Expect: 100-continue",
                 "--data-binary", "@-", "http://127.0.0.1:%d/nope" % srv.port],
                input=body, capture_output=True)
            elapsed = time.monotonic() - t0
            if r.stdout != b"405":
                fail("curl upload: %r %r" % (r.stdout, r.stderr))
            if elapsed >= 0.8:
                fail("curl's 60 KB upload took %.3f s" % elapsed)
            ok("curl's 60 KB upload with Expect: 100-continue in %.3f s" %
               elapsed)
        else:
            print("note: curl not found, no curl upload")
    ok("100 Continue before the body; none for HTTP/1.0; 417 otherwise")


def test_targets(path):
    with Server(path) as srv:
        p = srv.port
        cases = [
            (b"GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
             % (p, p), "200", PAGE_MARK),
            (b"GET HTTP://example.com/sleep?ms=1 HTTP/1.1\r\nHost: x\r\n\r\n",
             "200", b"slept 1 ms"),
            (b"GET http://example.com HTTP/1.1\r\n\r\n", "200", PAGE_MARK),
            (b"GET http://example.com/nope HTTP/1.1\r\nHost: y\r\n\r\n",
             "404", b""),
            (b"GET http:/// HTTP/1.1\r\nHost: y\r\n\r\n", "400", b""),
            (b"GET / HTTP/1.1\r\n\r\n", "400", b""),
            (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400", b""),
            (b"GET / HTTP/1.0\r\n\r\n", "200", PAGE_MARK),
        ]
        for req, want, mark in cases:
            line, _, body = status_of(p, req)
            if line.split()[1] != want or mark not in body:
                fail("%r gave %r (wanted %s)" % (req, line, want))
    ok("absolute-form targets served; HTTP/1.1 needs exactly one Host")


def test_idle(path):
    with Server(path, "--idle-timeout", "1", "--header-timeout", "5") as srv:
        s = connect(srv.port)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        read_response(s)
        t, _ = closed_within(s, 4)
        s.close()
        if t is None or not 0.8 <= t <= 2.5:
            fail("idle keep-alive connection closed after %r s (1 s)" % t)
    ok("an idle keep-alive connection is closed after %.2f s" % t)


def test_header_timeout(path):
    with Server(path, "--header-timeout", "1", "--idle-timeout", "5") as srv:
        for what, send in (("a partial head", b"GET / HTTP/1.1\r\nHost: x\r\n"),
                           ("nothing", b"")):
            s = connect(srv.port)
            if send:
                s.sendall(send)
            t, data = closed_within(s, 4)
            s.close()
            if not data.startswith(b"HTTP/1.1 408 "):
                fail("%s: got %r, not a 408" % (what, data))
            if t is None or not 0.8 <= t <= 3.5:
                fail("%s: closed after %r s" % (what, t))
            ok("%s: 408 and closed after %.2f s" % (what, t))


def test_low_nofile(path):
    with Server(path, "--header-timeout", "1", "--idle-timeout", "1",
                nofile=64) as srv:
        idle = [connect(srv.port) for _ in range(70)]
        t0 = time.monotonic()
        s = connect(srv.port)
        s.settimeout(8)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        try:
            line, _, body = read_response(s)
        except socket.timeout:
            fail("ulimit -n 64, 70 idle connections: no answer in 8 s")
        elapsed = time.monotonic() - t0
        s.close()
        if not line.startswith("HTTP/1.1 200 ") or PAGE_MARK not in body:
            fail("ulimit -n 64: got %r" % line)
        for c in idle:
            c.close()
    ok("ulimit -n 64 with 70 idle connections: served after %.2f s" % elapsed)


def main():
    path = sys.argv[1]
    test_head(path)
    test_expect(path)
    test_targets(path)
    test_idle(path)
    test_header_timeout(path)
    test_low_nofile(path)
    print("PASS e2e.http.features")


if __name__ == "__main__":
    main()
