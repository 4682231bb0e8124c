#!/usr/bin/env python3
"""run_structured.py -- the structured fuzzer: generated programs, run
transpiled and as plain synchronous C, must print the same.

    run_structured.py --asyncc PATH --include DIR --lib libasyncrt.a
                      --seeds FIRST:LAST [--cc gcc] [--jobs N]
                      [--keep DIR] [--timeout S] [--sanitize]

For each seed in FIRST..LAST (inclusive), gen_program.py writes a program;
it is compiled with -DASYNCC_SYNC (async.h's synchronous mode, no asyncc)
and, transpiled by asyncc, compiled and linked with the runtime; both
with -std=c11 -Wall -Wextra -Werror.  Both must run to completion and
print the same output with the same exit status.  A failing program is
kept in --keep (default: the current directory) as seed<N>.c with what
went wrong; rerun one with --seeds N:N.  --sanitize builds both with
AddressSanitizer and UBSan.  Exits 1 if any seed failed.
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_program  # noqa: E402

CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, b"", b"timed out after %d s" % timeout
    return p.returncode, p.stdout, p.stderr


def check(a, seed, work):
    """None if seed passes, else a description of the failure."""
    src = os.path.join(work, "seed%d.c" % seed)
    with open(src, "w") as f:
        f.write(gen_program.generate(seed))
    inc = "-I" + a.include
    cflags = CFLAGS + (SANITIZE if a.sanitize else [])
    # The synchronous build of async_defer is a GNU nested function run by
    # a cleanup attribute, which AddressSanitizer misreads as a bad stack
    # access: that build, the reference, keeps UBSan only.
    sync_flags = cflags
    if a.sanitize and "async_defer" in open(src).read():
        sync_flags = CFLAGS + ["-fsanitize=undefined",
                               "-fno-sanitize-recover=all"]
    sync_bin = os.path.join(work, "sync%d" % seed)
    rc, _, err = run([a.cc, "-DASYNCC_SYNC", inc] + sync_flags +
                     [src, "-o", sync_bin], a.timeout)
    if rc != 0:
        return "does not compile as synchronous C:\n" + err.decode()
    gen = os.path.join(work, "seed%d.async.c" % seed)
    rc, _, err = run([a.asyncc, src, "-o", gen, "--", inc, "-std=c11"],
                     a.timeout)
    if rc != 0:
        return "asyncc failed (status %s):\n%s" % (rc, err.decode())
    async_bin = os.path.join(work, "async%d" % seed)
    rc, _, err = run([a.cc, inc] + cflags + [gen, a.lib, "-o", async_bin],
                     a.timeout)
    if rc != 0:
        return "asyncc's output does not compile:\n" + err.decode()
    want = run([sync_bin], a.timeout)
    got = run([async_bin], a.timeout)
    if want[0] != 0:
        return "the synchronous program failed (status %s): %s" % (
            want[0], want[2].decode())
    if got[:2] != want[:2]:
        return ("transpiled program differs: status %s (want %s)\n"
                "--- synchronous\n%s\n--- transpiled\n%s\n%s" % (
                    got[0], want[0], want[1].decode(), got[1].decode(),
                    got[2].decode()))
    return None


def one(a, seed):
    with tempfile.TemporaryDirectory(prefix="asyncc-fuzz.") as work:
        why = check(a, seed, work)
        if why:
            keep = a.keep or "."
            os.makedirs(keep, exist_ok=True)
            with open(os.path.join(keep, "seed%d.c" % seed), "w") as f:
                f.write(gen_program.generate(seed))
            with open(os.path.join(keep, "seed%d.why" % seed), "w") as f:
                f.write(why)
        return seed, why


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--asyncc", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--seeds", required=True, help="FIRST:LAST, inclusive")
    ap.add_argument("--cc", default="gcc")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--keep")
    ap.add_argument("--timeout", type=int, default=20)
    ap.add_argument("--sanitize", action="store_true")
    a = ap.parse_args()
    first, last = (int(x) for x in a.seeds.split(":"))
    start = time.monotonic()
    failed = []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        for seed, why in pool.map(lambda s: one(a, s),
                                  range(first, last + 1)):
            if why:
                failed.append(seed)
                print("seed %d: FAIL: %s" % (seed, why.splitlines()[0]))
    n = last - first + 1
    print("%d programs (seeds %d..%d), %d failed, %.1f s" % (
        n, first, last, len(failed), time.monotonic() - start))
    if failed:
        print("kept in %s: %s" % (a.keep or ".",
                                  " ".join("seed%d.c" % s for s in failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
