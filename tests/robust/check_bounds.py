#!/usr/bin/env python3
"""check_bounds.py -- asyncc's time and memory on very large inputs stay
within generous bounds, so that a quadratic regression fails.

  check_bounds.py --asyncc PATH --include DIR --lib PATH --cc CC
                  --source DIR --work DIR

Two inputs, each transpiled once, its wall time and peak resident memory
(the child's own, from wait4) checked against the bounds below:

  awaits:    one function with AWAITS awaits (gen_awaits.py): in sequence,
             in loops and ifs with same-named locals in every block, in
             conditions.  Its output is also compiled and run, and must
             print what the same source compiled as synchronous C prints.
  functions: a file of FUNCTIONS async functions, each with loops,
             branches, a switch and seven awaits (bench/gen_transpile.py;
             about 21 lines each).

The bounds are several times the measured figures (docs/testing.md, "Robustness
and warnings parity"): before the fixes that made them hold, the awaits
case took 42 s and 7.2 GiB.
"""

import argparse
import os
import subprocess
import sys
import time

AWAITS = 5000
AWAITS_MAX_SECONDS, AWAITS_MAX_MIB = 10, 512
FUNCTIONS = 10000
FUNCTIONS_MAX_SECONDS, FUNCTIONS_MAX_MIB = 60, 2048


def measured(argv):
    """Runs argv; returns (exit status, wall seconds, peak RSS in MiB)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(err.decode(errors="replace"))
    return proc.returncode, wall, usage.ru_maxrss / 1024.0


def bounded(name, argv, max_seconds, max_mib):
    rc, wall, mib = measured(argv)
    ok = rc == 0 and wall < max_seconds and mib < max_mib
    print(
        "%s %s: exit %d, %.2f s (bound %d s), %.0f MiB (bound %d MiB)"
        % ("ok" if ok else "FAIL", name, rc, wall, max_seconds, mib, max_mib)
    )
    return ok


def output_of(argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--asyncc", "--include", "--lib", "--cc", "--source", "--work"):
        ap.add_argument(opt, required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    parse = ["--", "-I" + args.include, "-std=c11"]
    ok = True

    src = os.path.join(args.work, "awaits.c")
    out = os.path.join(args.work, "awaits.async.c")
    subprocess.run([sys.executable, os.path.join(here, "gen_awaits.py"),
                    str(AWAITS), src], check=True)
    ok &= bounded("%d awaits in one function" % AWAITS,
                  [args.asyncc, src, "-o", out] + parse,
                  AWAITS_MAX_SECONDS, AWAITS_MAX_MIB)
    if ok:
        # -O0: the resume function has a case per await, and the check is
        # of asyncc's output, not of the optimizer.
        flags = ["-std=c11", "-I" + args.include, "-Wall", "-Wextra", "-Werror"]
        exe, sync = out + ".exe", src + ".sync.exe"
        subprocess.run([args.cc] + flags + ["-O0", out, args.lib, "-pthread",
                        "-o", exe], check=True)
        subprocess.run([args.cc] + flags + ["-DASYNCC_SYNC", src, "-o", sync],
                       check=True)
        got, want = output_of([exe]), output_of([sync])
        if got != want:
            print("FAIL: the transpiled program printed %r, synchronous C %r"
                  % (got, want))
            ok = False
        else:
            print("ok: the transpiled program prints what synchronous C does")

    src = os.path.join(args.work, "functions.c")
    subprocess.run([sys.executable,
                    os.path.join(args.source, "bench", "gen_transpile.py"),
                    str(FUNCTIONS), src], check=True)
    with open(src) as f:
        lines = sum(1 for _ in f)
    ok &= bounded("%d async functions, %d lines" % (FUNCTIONS, lines),
                  [args.asyncc, src, "-o", os.path.join(args.work, "functions.async.c")]
                  + parse, FUNCTIONS_MAX_SECONDS, FUNCTIONS_MAX_MIB)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
