#!/usr/bin/env python3
"""bench/run.py -- asyncc's benchmark suite: one command that builds every
program with optimisation, runs each workload on each system several
times and prints a table of medians, with each system's ratio to asyncc.

    python3 bench/run.py                 # the whole suite (under 10 min)
    python3 bench/run.py --quick         # tiny sizes, one run: a smoke test
    python3 bench/run.py --only sleepers,ping_pong --runs 7
    python3 bench/run.py --budget-gib 4  # memory budget of the scale run

PostgreSQL (pg_select1, pg_row1k): a throwaway cluster started for the
run (tests/e2e/pg/cluster.sh), asyncc with libpq one query at a time and
pipelined, against asyncpg and node-postgres (installed with npm into
the build directory from bench/node/package.json).

Systems: asyncc; a hand-written C state machine (the floor a transpiler
could reach); libuv (C callbacks); Node.js; Python asyncio.  A system
that is not installed is skipped with a line saying so.  Each program
follows the protocol of bench/common/bench.h: it times its workload
itself and prints one JSON line, so interpreter start-up is not counted.
Results go to stdout as a Markdown table and to build-bench/results.json;
--svg FILE draws per-operation time and per-task memory (bench/plot.py).
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
SYSTEMS = ["asyncc", "handwritten", "libuv", "node", "python"]
LABELS = {
    "asyncc": "asyncc",
    "handwritten": "hand-written C",
    "libuv": "libuv",
    "node": "Node.js",
    "python": "asyncio",
}

# workload -> (default N, N for Python, systems that have a program)
WORKLOADS = {
    "await_chain": (10_000_000, 1_000_000, ["asyncc", "handwritten", "node", "python"]),
    "await_chain_indirect": (10_000_000, 1_000_000, ["asyncc"]),
    "spawn_gather": (1_000_000, 200_000, ["asyncc", "handwritten", "libuv", "node", "python"]),
    "sleepers": (1_000_000, 200_000, ["asyncc", "handwritten", "libuv", "node", "python"]),
    "ping_pong": (1_000_000, 200_000, ["asyncc", "handwritten", "node", "python"]),
    "echo": (0, 0, ["asyncc", "handwritten", "libuv", "node", "python"]),
    "http": (0, 0, ["asyncc", "node"]),
    "http_loops": (0, 0, ["asyncc", "node"]),
    "loop_channel": (5_000_000, 0, ["asyncc", "handwritten", "node"]),
    "loop_ping_pong": (50_000, 0, ["asyncc", "handwritten", "node"]),
    "tls_echo": (100_000, 100_000, ["asyncc", "node"]),
    "scale": (0, 0, ["asyncc"]),
    "transpile": (3000, 3000, ["asyncc"]),
    "pg_select1": (50_000, 20_000, ["asyncc", "node", "python"]),
    "pg_row1k": (50_000, 20_000, ["asyncc", "node", "python"]),
}
QUICK_N = {"await_chain": 100_000, "await_chain_indirect": 100_000, "spawn_gather": 10_000, "sleepers": 2_000,
           "ping_pong": 10_000, "transpile": 50, "tls_echo": 1_000, "pg_select1": 2_000,
           "pg_row1k": 2_000, "loop_channel": 100_000, "loop_ping_pong": 2_000}
# Node.js's N where it differs: its messages between threads queue
# without bound (a structured clone each), so 5 M would take gigabytes.
NODE_N = {"loop_channel": 1_000_000}
# /hash?rounds=K for http_loops: K rounds of FNV-1a over the 162-byte
# page, about 23 µs of a core per request (in C and in Node.js alike).
HTTP_LOOPS_ROUNDS = 100
# asyncc's PostgreSQL programs also run in libpq's pipeline mode with this
# many queries in flight per connection, on PG_PIPELINE_FACTOR times N.
PG_DEPTH = 64
PG_PIPELINE_FACTOR = 4


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


class Builder:
    """Builds asyncc, asyncrt and every C program into build-bench/."""

    def __init__(self, out, cc, prebuilt=None):
        self.out = out
        self.cc = cc
        self.prebuilt = prebuilt
        self.bin = os.path.join(out, "bin")
        os.makedirs(self.bin, exist_ok=True)
        tree = prebuilt or out
        self.asyncc = os.path.join(tree, "transpiler", "asyncc")
        self.rt = os.path.join(tree, "runtime", "libasyncrt.a")
        self.rt_tls = os.path.join(tree, "runtime", "tls", "libasyncrt-tls.a")
        self.include = os.path.join(ROOT, "runtime", "include")
        self.have_uv = self._probe_uv()
        self.libpq = self._probe_libpq()

    def _probe_uv(self):
        probe = os.path.join(self.out, "uv_probe.c")
        with open(probe, "w") as f:
            f.write("#include <uv.h>\nint main(void) { return uv_version() == 0; }\n")
        r = subprocess.run([self.cc, probe, "-o", probe + ".bin", "-luv"],
                           capture_output=True)
        return r.returncode == 0

    def _probe_libpq(self):
        """libpq's compile and link flags (pkg-config), or None."""
        r = subprocess.run(["pkg-config", "--cflags", "--libs", "libpq"],
                           capture_output=True, text=True)
        return r.stdout.split() if r.returncode == 0 else None

    def project(self):
        if self.prebuilt:
            return
        run(["cmake", "-S", ROOT, "-B", self.out, "-G", "Ninja",
             "-DCMAKE_BUILD_TYPE=Release", "-DASYNCC_BUILD_TESTS=OFF",
             "-DCMAKE_C_COMPILER=" + self.cc], stdout=subprocess.DEVNULL)
        run(["cmake", "--build", self.out, "--target", "asyncc", "asyncrt"],
            stdout=subprocess.DEVNULL)
        # The TLS library, when the build found OpenSSL.
        subprocess.run(["cmake", "--build", self.out, "--target", "asyncrt_tls"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def c_flags(self):
        return ["-std=c11", "-O2", "-DNDEBUG", "-D_GNU_SOURCE", "-Wall", "-Wextra",
                "-Werror", "-I", os.path.join(BENCH, "common")]

    def asyncc_program(self, name, src=None, flags=(), tls=False):
        """`flags`: a library's -I and -l flags, for asyncc and the link;
        `tls`: link asyncrt_tls and OpenSSL."""
        src = src or os.path.join(BENCH, "asyncc", name + ".c")
        gen = os.path.join(self.out, "bench-src", name + ".async.c")
        os.makedirs(os.path.dirname(gen), exist_ok=True)
        exe = os.path.join(self.bin, "asyncc_" + name)
        incs = [f for f in flags if f.startswith("-I")]
        libs = [f for f in flags if not f.startswith("-I")]
        rt = [self.rt_tls, self.rt, "-lssl", "-lcrypto"] if tls else [self.rt]
        run([self.asyncc, src, "-o", gen, "--", "-I", self.include,
             "-I", os.path.join(BENCH, "common")] + incs)
        run([self.cc] + self.c_flags() + ["-I", self.include] + incs +
            [gen] + rt + libs + ["-lpthread", "-o", exe])
        return exe

    def certs(self):
        """Throwaway certificates for the TLS workloads (make_certs.sh)."""
        d = os.path.join(self.out, "certs")
        if not os.path.exists(os.path.join(d, "server.key")):
            run(["bash", os.path.join(ROOT, "tests", "unit", "tls", "make_certs.sh"), d])
        return d

    def frame_size(self, name, function):
        """The size of `function`'s frame in bench/asyncc/NAME.c, as
        asyncc --inspect=json measures it."""
        src = os.path.join(BENCH, "asyncc", name + ".c")
        r = subprocess.run([self.asyncc, "--inspect=json", src, "--", "-I",
                            self.include], capture_output=True, text=True,
                           check=True)
        for f in json.loads(r.stdout)["functions"]:
            if f["name"] == function:
                return f["frame"]["size"]
        raise RuntimeError("no async function %s in %s" % (function, src))

    def c_program(self, system, name, libs=()):
        src = os.path.join(BENCH, system, name + ".c")
        exe = os.path.join(self.bin, system + "_" + name)
        run([self.cc] + self.c_flags() + [src, "-o", exe] + list(libs))
        return exe


def median(xs):
    return statistics.median(xs) if xs else None


def run_program(cmd, timeout):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode,
                                                   r.stderr.strip()[-400:]))
    line = r.stdout.strip().splitlines()[-1]
    return json.loads(line)


def program_cmd(b, system, workload):
    """The command running `workload` on `system`, or None with a reason."""
    name = workload
    if workload == "tls_echo":
        if not os.path.exists(b.rt_tls):
            return None, "asyncrt_tls was not built (libssl-dev is missing)"
        if not shutil.which("openssl"):
            return None, "the openssl command is missing"
        os.environ["ASYNCC_BENCH_CERTS"] = b.certs()
    if system == "asyncc":
        return [b.asyncc_program(name, tls=workload == "tls_echo")], None
    if system == "handwritten":
        return [b.c_program("handwritten", name, ["-lpthread"])], None
    if system == "libuv":
        if not b.have_uv:
            return None, "libuv1-dev is not installed"
        return [b.c_program("libuv", name, ["-luv"])], None
    if system == "node":
        node = shutil.which("node")
        if not node:
            return None, "node is not installed"
        return [node, os.path.join(BENCH, "node", name + ".js")], None
    if system == "python":
        py = shutil.which("python3")
        return [py, os.path.join(BENCH, "python", name + ".py")], None
    return None, "unknown system"


# The async function each task of a workload runs, and the handle each
# program keeps per task in an array (a pointer).
TASK_FUNCTION = {"spawn_gather": "task", "sleepers": "sleeper"}
HANDLE_BYTES = 8


def bench_simple(b, workload, systems, runs, quick, results):
    n_default, n_python, have = WORKLOADS[workload]
    for system in systems:
        if system not in have:
            continue
        try:
            cmd, why = program_cmd(b, system, workload)
        except subprocess.CalledProcessError as e:
            results.append({"workload": workload, "system": system,
                            "error": "build failed: %s" % e})
            continue
        if cmd is None:
            log("%s/%s: skipped (%s)" % (workload, system, why))
            results.append({"workload": workload, "system": system, "skipped": why})
            continue
        n = QUICK_N[workload] if quick else (n_python if system == "python" else
                                             NODE_N.get(workload, n_default)
                                             if system == "node" else n_default)
        samples = []
        for _ in range(runs):
            try:
                samples.append(run_program(cmd + [str(n)], timeout=600))
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                results.append({"workload": workload, "system": system,
                                "error": str(e)})
                samples = []
                break
        if not samples:
            continue
        per_op = [s["seconds"] / s["ops"] * 1e9 for s in samples]
        per_task = [(s["rss_peak_kb"] - s["rss_before_kb"]) * 1024 / s["n"]
                    for s in samples]
        checks = {s["check"] for s in samples}
        row = {"workload": workload, "system": system, "n": n, "runs": len(samples),
               "ns_per_op": median(per_op), "seconds": median([s["seconds"] for s in samples]),
               "bytes_per_task": median(per_task), "check": samples[0]["check"],
               "stable_check": len(checks) == 1}
        if workload == "tls_echo":
            row["rps"] = median([s["ops"] / s["seconds"] for s in samples])
        if workload == "loop_channel":
            row["items_per_s"] = median([s["ops"] / s["seconds"] for s in samples])
        if system == "asyncc" and workload in TASK_FUNCTION:
            # What the runtime adds to each task: all the task costs, less
            # the async function's own frame and the program's handle.
            row["frame_bytes"] = b.frame_size(workload, TASK_FUNCTION[workload])
            row["runtime_bytes_per_task"] = (row["bytes_per_task"] -
                                             row["frame_bytes"] - HANDLE_BYTES)
        log("%s/%s: %.2f ns/op, %.0f B/task (n=%d)" % (
            workload, system, row["ns_per_op"], row["bytes_per_task"], n))
        results.append(row)


def start_server(cmd, port_pattern, stream="stderr"):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 10
    pipe = proc.stderr if stream == "stderr" else proc.stdout
    while time.time() < deadline:
        line = pipe.readline()
        if not line:
            break
        m = re.search(port_pattern, line)
        if m:
            return proc, int(m.group(1))
    proc.kill()
    raise RuntimeError("%s did not report its port" % " ".join(cmd))


def stop_server(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def bench_echo(b, systems, runs, quick, results):
    load = b.c_program("loadgen", "echo_load")
    seconds = 1 if quick else 5
    for system in systems:
        if system not in WORKLOADS["echo"][2]:
            continue
        try:
            cmd, why = program_cmd(b, system, "echo_server")
        except subprocess.CalledProcessError as e:
            results.append({"workload": "echo", "system": system,
                            "error": "build failed: %s" % e})
            continue
        if cmd is None:
            log("echo/%s: skipped (%s)" % (system, why))
            results.append({"workload": "echo", "system": system, "skipped": why})
            continue
        rps, p99 = [], []
        for _ in range(runs):
            proc, port = start_server(cmd + ["0", "0"], r"PORT (\d+)")
            try:
                r = subprocess.run([load, "127.0.0.1", str(port), "100", str(seconds)],
                                   capture_output=True, text=True, timeout=seconds + 30)
            finally:
                stop_server(proc)
            stats = json.loads(r.stdout.strip().splitlines()[-1])
            if stats.get("errors"):
                results.append({"workload": "echo", "system": system,
                                "error": "%d echo errors" % stats["errors"]})
                break
            rps.append(stats["rps"])
            p99.append(stats["p99_us"])
        if rps:
            row = {"workload": "echo", "system": system, "runs": len(rps),
                   "rps": median(rps), "p99_us": median(p99)}
            log("echo/%s: %.0f req/s, p99 %.0f us" % (system, row["rps"], row["p99_us"]))
            results.append(row)


def parse_wrk(text):
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    scale = {"us": 1, "ms": 1e3, "s": 1e6}
    return (float(rps.group(1)) if rps else None,
            float(p99.group(1)) * scale[p99.group(2)] if p99 else None,
            int(errors.group(1)) if errors else 0)


def bench_http(b, systems, runs, quick, results):
    wrk = shutil.which("wrk")
    if not wrk:
        log("http: skipped (wrk is not installed)")
        results.append({"workload": "http", "system": "asyncc", "skipped": "wrk is not installed"})
        return
    servers = {}
    if "asyncc" in systems:
        exe = b.asyncc_program("http", os.path.join(ROOT, "samples", "http.c"))
        servers["asyncc"] = ([exe, "0"], r"listening on (\d+)", "stdout")
    if "node" in systems:
        if shutil.which("node"):
            servers["node"] = ([shutil.which("node"),
                                os.path.join(BENCH, "node", "http_server.js"), "0", "0"],
                               r"PORT (\d+)", "stderr")
        else:
            results.append({"workload": "http", "system": "node", "skipped": "node is not installed"})
    seconds = 1 if quick else 5
    for system, (cmd, pattern, stream) in servers.items():
        rps, p99 = [], []
        for _ in range(runs):
            proc, port = start_server(cmd, pattern, stream)
            try:
                r = subprocess.run([wrk, "-t2", "-c100", "-d%ds" % seconds, "--latency",
                                    "http://127.0.0.1:%d/" % port],
                                   capture_output=True, text=True, timeout=seconds + 30)
            finally:
                stop_server(proc)
            v, p, errors = parse_wrk(r.stdout)
            if v is None or errors:
                results.append({"workload": "http", "system": system,
                                "error": "wrk: %s" % r.stdout[-300:]})
                break
            rps.append(v)
            p99.append(p)
        if rps:
            row = {"workload": "http", "system": system, "runs": len(rps),
                   "rps": median(rps), "p99_us": median(p99)}
            log("http/%s: %.0f req/s, p99 %.0f us" % (system, row["rps"], row["p99_us"]))
            results.append(row)


def fnv1a_rounds(data, rounds):
    """samples/http.c's /hash: FNV-1a (32 bits) of `data`, `rounds` times
    over."""
    h = 2166136261
    for _ in range(rounds):
        for byte in data:
            h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def bench_http_loops(b, systems, runs, quick, results):
    """A CPU-bound handler (/hash?rounds=K) on one core and on two: asyncc's
    samples/http.c on 1 loop and with --loops 2, against Node.js's
    http_server.js in one process and in a cluster of 2 workers; and the
    two ways of spreading connections over 2 loops (bench/asyncc/
    http_loops.c: a listening socket per loop, or loop 0 accepting and
    handing connections out through channels).  wrk runs on the same two
    cores.  The configurations take turns within each run, so a change in
    the machine's load hits them all alike."""
    wrk = shutil.which("wrk")
    if not wrk:
        log("http_loops: skipped (wrk is not installed)")
        results.append({"workload": "http_loops", "system": "asyncc",
                        "skipped": "wrk is not installed"})
        return
    path = "/hash?rounds=%d" % HTTP_LOOPS_ROUNDS
    configs = []  # (system, key, command, port pattern, stream)
    if "asyncc" in systems:
        sample = b.asyncc_program("http", os.path.join(ROOT, "samples", "http.c"))
        spread = b.asyncc_program("http_loops")
        pat = r"listening on (\d+)"
        configs += [("asyncc", "rps_1", [sample, "0"], pat, "stdout"),
                    ("asyncc", "rps_2", [sample, "--loops", "2", "0"], pat, "stdout"),
                    ("asyncc", "rps_2_reuseport", [spread, "reuseport", "2", "0"], pat,
                     "stdout"),
                    ("asyncc", "rps_2_handoff", [spread, "handoff", "2", "0"], pat,
                     "stdout")]
    if "node" in systems:
        node = shutil.which("node")
        if node:
            configs += [("node", "rps_1", [node, os.path.join(BENCH, "node", "http_server.js"),
                                           "0", "0"], r"PORT (\d+)", "stderr"),
                        ("node", "rps_2", [node, os.path.join(BENCH, "node", "http_cluster.js"),
                                           "2", "0"], r"PORT (\d+)", "stderr")]
        else:
            results.append({"workload": "http_loops", "system": "node",
                            "skipped": "node is not installed"})
    seconds = 1 if quick else 5
    got = {}
    failed = set()
    for _ in range(runs):
        for system, key, cmd, pattern, stream in configs:
            if system in failed:
                continue
            proc, port = start_server(cmd, pattern, stream)
            try:
                base = "http://127.0.0.1:%d" % port
                page = urllib.request.urlopen(base + "/", timeout=10).read()
                body = urllib.request.urlopen(base + path, timeout=10).read()
                want = b"fnv1a %08x\n" % fnv1a_rounds(page, HTTP_LOOPS_ROUNDS)
                r = subprocess.run([wrk, "-t2", "-c100", "-d%ds" % seconds, "--latency",
                                    base + path], capture_output=True, text=True,
                                   timeout=seconds + 30)
            except (OSError, subprocess.TimeoutExpired) as e:
                body, want, r = None, None, None
                why = "%s: %s" % (" ".join(cmd), e)
            finally:
                stop_server(proc)
            v, p99, errors = parse_wrk(r.stdout) if r else (None, None, 0)
            if r is None or body != want or v is None or errors:
                if r is not None:
                    why = ("%s answered %r, not %r" % (path, body, want) if body != want
                           else "wrk: %s" % r.stdout[-300:])
                results.append({"workload": "http_loops", "system": system, "error": why})
                failed.add(system)
                continue
            got.setdefault((system, key), []).append(v)
    for system in dict.fromkeys(c[0] for c in configs):
        if system in failed:
            continue
        row = {"workload": "http_loops", "system": system, "runs": runs,
               "rounds": HTTP_LOOPS_ROUNDS}
        for (s_, key), vs in got.items():
            if s_ == system:
                row[key] = median(vs)
        row["speedup"] = row["rps_2"] / row["rps_1"]
        log("http_loops/%s: %s" % (system, ", ".join(
            "%s %.0f" % (k, row[k]) for k in row if k.startswith("rps_"))))
        results.append(row)


def bench_scale(b, budget_gib, quick, results):
    """The most sleeping tasks asyncc holds within the budget: measure the
    bytes per task at 1 M tasks, then run at the count the budget allows
    (less 2 %), and step down until the peak RSS fits."""
    exe = b.asyncc_program("scale")
    budget = budget_gib * 2**30
    probe_n = 20_000 if quick else 1_000_000
    s = run_program([exe, str(probe_n)], timeout=600)
    per_task = (s["rss_peak_kb"] - s["rss_before_kb"]) * 1024 / s["n"]
    n = int((budget - s["rss_before_kb"] * 1024) / per_task * 0.98)
    if quick:
        n = min(n, 100_000)
    while n > 0:
        s = run_program([exe, str(n)], timeout=900)
        if s["rss_peak_kb"] * 1024 <= budget:
            break
        n = int(n * 0.95)
    row = {"workload": "scale", "system": "asyncc", "n": n, "budget_gib": budget_gib,
           "bytes_per_task": (s["rss_peak_kb"] - s["rss_before_kb"]) * 1024 / n,
           "peak_gib": s["rss_peak_kb"] / 2**20, "seconds": s["seconds"]}
    log("scale: %d tasks in %.2f GiB (%.1f B/task)" % (n, row["peak_gib"], row["bytes_per_task"]))
    results.append(row)


def bench_transpile(b, runs, quick, results):
    """asyncc against clang -fsyntax-only on one large generated file."""
    n = QUICK_N["transpile"] if quick else WORKLOADS["transpile"][0]
    src = os.path.join(b.out, "bench-src", "transpile_%d.c" % n)
    os.makedirs(os.path.dirname(src), exist_ok=True)
    run([sys.executable, os.path.join(BENCH, "gen_transpile.py"), str(n), src])
    clang = shutil.which("clang")
    if not clang:
        results.append({"workload": "transpile", "system": "asyncc",
                        "skipped": "clang is not installed"})
        return
    out = os.path.join(b.out, "bench-src", "transpile_out.c")
    cmds = {
        "asyncc": [b.asyncc, src, "-o", out, "--", "-I", b.include],
        "clang": [clang, "-fsyntax-only", "-D__ASYNCC__=1", "-I", b.include, src],
    }
    times = {k: [] for k in cmds}
    for _ in range(runs):
        for k, cmd in cmds.items():
            t = time.perf_counter()
            run(cmd, stdout=subprocess.DEVNULL)
            times[k].append(time.perf_counter() - t)
    lines = sum(1 for _ in open(src))
    row = {"workload": "transpile", "system": "asyncc", "functions": n, "lines": lines,
           "seconds": median(times["asyncc"]), "clang_seconds": median(times["clang"])}
    row["ratio_to_clang"] = row["seconds"] / row["clang_seconds"]
    log("transpile: asyncc %.3f s, clang -fsyntax-only %.3f s (%.2fx) on %d lines"
        % (row["seconds"], row["clang_seconds"], row["ratio_to_clang"], lines))
    results.append(row)


def python_with(module):
    """A python3 that imports `module` (the one on PATH, else Debian's),
    or None."""
    for py in (shutil.which("python3"), "/usr/bin/python3"):
        if py and subprocess.run([py, "-c", "import " + module],
                                 capture_output=True).returncode == 0:
            return py
    return None


def node_packages(b):
    """Installs bench/node/package.json's packages into the build
    directory (npm, once); returns their node_modules, or None with a
    reason."""
    if not shutil.which("node") or not shutil.which("npm"):
        return None, "node or npm is not installed"
    d = os.path.join(b.out, "node")
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(BENCH, "node", "package.json"), d)
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"],
                       cwd=d, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return None, "npm install failed: " + r.stderr.strip()[-300:]
    return os.path.join(d, "node_modules"), None


CLUSTER = os.path.join(ROOT, "tests", "e2e", "pg", "cluster.sh")


def bench_pg(b, workloads, systems, runs, quick, results):
    """PostgreSQL queries per second: each system's program against one
    throwaway cluster (tests/e2e/pg/cluster.sh) that lives for the whole
    PostgreSQL part of the run."""
    def skip_all(why):
        for w in workloads:
            log("%s: skipped (%s)" % (w, why))
            results.append({"workload": w, "system": "asyncc", "skipped": why})

    if b.libpq is None:
        return skip_all("libpq is not installed (libpq-dev)")
    # SIGTERM (a run stopped by hand) goes through the finally below,
    # which stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = tempfile.mkdtemp(prefix="asyncc-bench-pg.")
    os.chmod(tmp, 0o755)
    cluster = os.path.join(tmp, "cluster")
    os.mkdir(cluster)
    try:
        r = subprocess.run(["bash", CLUSTER, "start", cluster], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            return skip_all("the PostgreSQL server did not start: " +
                            r.stderr.strip()[-300:])
        port = r.stdout.strip()
        cmds = {}
        if "asyncc" in systems:
            cmds["asyncc"] = ([b.asyncc_program("pg_queries", flags=b.libpq)], {})
        if "node" in systems:
            modules, why = node_packages(b)
            if modules:
                env = dict(os.environ, NODE_PATH=modules)
                cmds["node"] = ([shutil.which("node"),
                                 os.path.join(BENCH, "node", "pg_queries.js")], env)
            else:
                for w in workloads:
                    results.append({"workload": w, "system": "node", "skipped": why})
        if "python" in systems:
            py = python_with("asyncpg")
            if py:
                cmds["python"] = ([py, os.path.join(BENCH, "python", "pg_queries.py")], {})
            else:
                for w in workloads:
                    results.append({"workload": w, "system": "python",
                                    "skipped": "asyncpg is not installed (python3-asyncpg)"})
        for w in workloads:
            kind = w[len("pg_"):]
            n_default, n_python, _ = WORKLOADS[w]
            for system, (cmd, env) in cmds.items():
                n = QUICK_N[w] if quick else (n_python if system == "python" else n_default)
                modes = [("qps_serial", n, [])]
                if system == "asyncc":
                    modes.append(("qps", n * PG_PIPELINE_FACTOR, [str(PG_DEPTH)]))
                row = {"workload": w, "system": system, "n": n, "runs": runs}
                try:
                    for key, mn, extra in modes:
                        samples = []
                        for _ in range(runs):
                            r = subprocess.run(cmd + [str(mn), "127.0.0.1", port, kind] + extra,
                                               capture_output=True, text=True, timeout=600,
                                               env=env or None)
                            if r.returncode != 0:
                                raise RuntimeError("%s failed (%d): %s" % (
                                    " ".join(cmd), r.returncode, r.stderr.strip()[-400:]))
                            samples.append(json.loads(r.stdout.strip().splitlines()[-1]))
                        row[key] = median([s["ops"] / s["seconds"] for s in samples])
                        if key == "qps_serial":
                            row["check"] = samples[0]["check"]
                            row["stable_check"] = len({s["check"] for s in samples}) == 1
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    results.append({"workload": w, "system": system, "error": str(e)})
                    continue
                # The peers' drivers send one query at a time: that is
                # their best figure, compared with asyncc's pipelined one.
                row.setdefault("qps", row["qps_serial"])
                log("%s/%s: %.0f queries/s, %.0f one at a time" % (
                    w, system, row["qps"], row["qps_serial"]))
                results.append(row)
    finally:
        subprocess.run(["bash", CLUSTER, "stop", cluster], capture_output=True,
                       timeout=120)
        shutil.rmtree(tmp, ignore_errors=True)


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m.group(1) if m else cpu
    except OSError:
        pass
    cc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout
    node = shutil.which("node")
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "cc": cc.splitlines()[0] if cc else "?",
            "python": platform.python_version(),
            "node": subprocess.run([node, "--version"], capture_output=True,
                                   text=True).stdout.strip() if node else None,
            "date": time.strftime("%Y-%m-%d")}


def fmt_ratio(v, base):
    """Each system's figure over asyncc's."""
    if v is None or base is None or base == 0:
        return ""
    return " (%.2f×)" % (v / base)


METRICS = [
    # (workload, key, label, unit format, higher is better)
    ("await_chain", "ns_per_op", "await-chain: ns per await", "%.2f", False),
    ("await_chain_indirect", "ns_per_op",
     "await-chain through a pointer: ns per await", "%.2f", False),
    ("spawn_gather", "ns_per_op", "spawn-gather: ns per task", "%.1f", False),
    ("spawn_gather", "bytes_per_task", "spawn-gather: bytes per task", "%.0f", False),
    ("sleepers", "seconds", "sleepers: wall seconds", "%.3f", False),
    ("sleepers", "bytes_per_task", "sleepers: bytes per task", "%.0f", False),
    ("ping_pong", "ns_per_op", "ping-pong: ns per hop", "%.2f", False),
    ("echo", "rps", "echo: requests/s", "%.0f", True),
    ("echo", "p99_us", "echo: p99 µs", "%.0f", False),
    ("http", "rps", "http: requests/s", "%.0f", True),
    ("http", "p99_us", "http: p99 µs", "%.0f", False),
    ("http_loops", "rps_1", "http, CPU-bound handler: requests/s, 1 loop (1 process)",
     "%.0f", True),
    ("http_loops", "rps_2",
     "http, CPU-bound handler: requests/s, 2 loops (2 cluster workers)", "%.0f", True),
    ("tls_echo", "rps", "tls echo: round trips/s", "%.0f", True),
    ("loop_channel", "items_per_s", "channel between two loops: items/s", "%.0f", True),
    ("loop_ping_pong", "ns_per_op", "ping-pong between two loops: ns per round trip",
     "%.0f", False),
    ("pg_select1", "qps", "pg SELECT 1: queries/s (asyncc pipelined)", "%.0f", True),
    ("pg_select1", "qps_serial", "pg SELECT 1: queries/s, one at a time", "%.0f", True),
    ("pg_row1k", "qps", "pg 1 KB row: queries/s (asyncc pipelined)", "%.0f", True),
    ("pg_row1k", "qps_serial", "pg 1 KB row: queries/s, one at a time", "%.0f", True),
]


def table(results, systems):
    by = {(r["workload"], r["system"]): r for r in results if "error" not in r
          and "skipped" not in r}
    cols = [s for s in systems if any(k[1] == s for k in by)]
    lines = ["| workload | " + " | ".join(LABELS[s] for s in cols) + " |",
             "|---|" + "---|" * len(cols)]
    for workload, key, label, f, _ in METRICS:
        if not any((workload, s) in by for s in cols):
            continue
        base = by.get((workload, "asyncc"), {}).get(key)
        cells = []
        for s in cols:
            v = by.get((workload, s), {}).get(key)
            cells.append("" if v is None else (f % v) + ("" if s == "asyncc"
                                                          else fmt_ratio(v, base)))
        lines.append("| %s | %s |" % (label, " | ".join(cells)))
    extra = []
    for r in results:
        if r.get("workload") == "scale" and "n" in r:
            extra.append("scale: %s sleeping tasks within %g GiB (peak %.2f GiB, "
                         "%.1f bytes per task)" % (f"{r['n']:,}", r["budget_gib"],
                                                   r["peak_gib"], r["bytes_per_task"]))
        if r.get("system") == "asyncc" and "runtime_bytes_per_task" in r:
            extra.append("%s: asyncc's runtime adds %.0f bytes per task to the "
                         "%d-byte frame and the program's %d-byte handle" % (
                             r["workload"].replace("_", "-"),
                             r["runtime_bytes_per_task"], r["frame_bytes"],
                             HANDLE_BYTES))
        if r.get("workload") == "http_loops" and r.get("system") == "asyncc":
            extra.append("http_loops: asyncc on 2 loops %.2f× its 1 loop; spreading "
                         "connections over 2 loops, a socket per loop (SO_REUSEPORT) "
                         "%.0f requests/s, loop 0 handing them out through channels "
                         "%.0f (/hash?rounds=%d)" % (
                             r["speedup"], r.get("rps_2_reuseport", 0),
                             r.get("rps_2_handoff", 0), r["rounds"]))
        if r.get("workload") == "transpile" and "seconds" in r:
            extra.append("transpile: asyncc %.3f s, clang -fsyntax-only %.3f s "
                         "(%.2f×), %d async functions, %d lines" % (
                             r["seconds"], r["clang_seconds"], r["ratio_to_clang"],
                             r["functions"], r["lines"]))
    note = ("In parentheses: the figure divided by asyncc's (above 1 is slower "
            "or bigger for times and bytes, faster for requests/s and queries/s).")
    return "\n".join(lines + ["", note, ""] + extra)


def check_consistency(results):
    """Every system must compute the same check value for the same N."""
    problems = []
    seen = {}
    for r in results:
        if "check" not in r:
            continue
        if not r.get("stable_check", True):
            problems.append("%s/%s: check differs between runs" % (r["workload"], r["system"]))
        key = (r["workload"], r["n"])
        if key in seen and seen[key][1] != r["check"]:
            problems.append("%s: %s computes %s, %s computes %s (n=%d)" % (
                r["workload"], seen[key][0], seen[key][1], r["system"], r["check"], r["n"]))
        seen.setdefault(key, (r["system"], r["check"]))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one run")
    ap.add_argument("--only", help="comma-separated workloads")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--budget-gib", type=float, default=4.0)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--cc", default=os.environ.get("CC", "gcc"))
    ap.add_argument("--prebuilt", metavar="BUILD_DIR",
                    help="use asyncc and asyncrt already built there (tests)")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--svg", help="draw the results as an SVG chart here")
    args = ap.parse_args()
    if args.quick:
        args.runs = 1
    systems = [s for s in args.systems.split(",") if s]
    only = args.only.split(",") if args.only else list(WORKLOADS)
    for w in only:
        if w not in WORKLOADS:
            ap.error("unknown workload '%s' (known: %s)" % (w, ", ".join(WORKLOADS)))

    b = Builder(args.build_dir, args.cc, args.prebuilt)
    log("building asyncc and asyncrt (Release) in %s" % args.build_dir)
    b.project()
    results = []
    pg = [w for w in only if w.startswith("pg_")]
    if pg:
        bench_pg(b, pg, systems, args.runs, args.quick, results)
    for w in only:
        if w in pg:
            continue
        if w == "echo":
            bench_echo(b, systems, args.runs, args.quick, results)
        elif w == "http":
            bench_http(b, systems, args.runs, args.quick, results)
        elif w == "http_loops":
            bench_http_loops(b, systems, args.runs, args.quick, results)
        elif w == "scale":
            bench_scale(b, args.budget_gib, args.quick, results)
        elif w == "transpile":
            bench_transpile(b, args.runs, args.quick, results)
        else:
            bench_simple(b, w, systems, args.runs, args.quick, results)

    info = machine()
    doc = {"machine": info, "runs": args.runs, "quick": args.quick, "results": results}
    path = args.json or os.path.join(args.build_dir, "results.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    if args.svg:
        run([sys.executable, os.path.join(BENCH, "plot.py"), path, args.svg])
    print("Machine: %s, %d cores, Linux %s, %s, Python %s, Node %s; median of %d runs.\n"
          % (info["cpu"], info["cores"], info["kernel"], info["cc"], info["python"],
             info["node"], args.runs))
    print(table(results, systems))
    failed = [r for r in results if "error" in r]
    for r in failed:
        print("FAILED %s/%s: %s" % (r["workload"], r["system"], r["error"]))
    problems = check_consistency(results)
    for p in problems:
        print("MISMATCH " + p)
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
