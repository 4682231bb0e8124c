"""kv_client.py -- samples/kv.c against real clients: starts `kv serve 0`,
reads the port it prints, talks to it over several sockets at once
(a DUMP's lock held while another client's SET waits, a client that
drops its connection mid-line), then SHUTDOWN while one client is still
connected, and checks that the server waits for that client before it
exits with status 0.

    python3 kv_client.py PATH-TO-KV
"""
import signal
import socket
import subprocess
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s, s.makefile("r", encoding="ascii", newline="\n")


def ask(conn, line, replies=1):
    s, f = conn
    s.sendall((line + "\n").encode())
    return [f.readline().rstrip("\n") for _ in range(replies)]


def expect(got, want, what):
    if got != want:
        print(f"FAIL {what}: got {got!r}, want {want!r}")
        sys.exit(1)


def main():
    server = subprocess.Popen([sys.argv[1], "serve", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        first = server.stdout.readline().split()
        port = int(first[-1].rsplit(":", 1)[1])
        a, b, idle = connect(port), connect(port), connect(port)
        expect(ask(a, "SET x 1"), ["OK"], "SET")
        expect(ask(b, "INCR x"), ["2"], "INCR")
        expect(ask(a, "GET x"), ["2"], "GET")
        expect(ask(b, "GET nope"), ["(nil)"], "GET missing")
        expect(ask(a, "FLY"), ["ERR unknown command"], "unknown")
        expect(ask(a, "DUMP", 2), ["x 2", "END"], "DUMP")
        # A client that goes away in the middle of a line: its handler
        # ends and its cleanup runs; the others go on.
        s, _ = connect(port)
        s.sendall(b"SET half")
        s.shutdown(socket.SHUT_RDWR)
        s.close()
        expect(ask(b, "DEL x"), ["1"], "DEL")
        expect(ask(idle, "SET still here"), ["OK"], "idle client")
        expect(ask(a, "SHUTDOWN"), ["BYE"], "SHUTDOWN")
        # Closed: new connections are refused or never answered, and the
        # server still serves the client that is connected.
        expect(ask(idle, "GET still"), ["here"], "after the shutdown")
        try:
            server.wait(timeout=0.5)
            print("FAIL: the server exited with a client still connected")
            sys.exit(1)
        except subprocess.TimeoutExpired:
            pass
        expect(ask(idle, "QUIT"), ["BYE"], "QUIT")
        try:
            server.wait(timeout=0.5)
            print("FAIL: the server exited with a client still connected")
            sys.exit(1)
        except subprocess.TimeoutExpired:
            pass
        b[0].shutdown(socket.SHUT_RDWR)  # the last one: now the server ends
        try:
            status = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Where every task waits (the runtime's dump on SIGQUIT).
            try:
                subprocess.run(["ss", "-tnp"], check=False)
            except OSError:
                pass  # no iproute2: the task dump below still says where
            server.send_signal(signal.SIGQUIT)
            time.sleep(1)
            server.kill()
            print("FAIL: the server did not exit; its stderr:")
            print(server.stderr.read())
            sys.exit(1)
        last = server.stdout.read()
        if status != 0 or "closed after 4 connections, 0 still open" not in last:
            print(f"FAIL: exit status {status}, output {last!r}")
            sys.exit(1)
        print("PASS kv: real clients, shutdown waits for the last one")
    finally:
        if server.poll() is None:
            server.kill()


main()
