#!/usr/bin/env python3
"""check_warnings.py -- warnings parity: asyncc's output draws no warning
that the user's own source does not draw.

  check_warnings.py --asyncc PATH --include DIR --cc CC [--cc CC...]
                    --work DIR FILE.c...

Each FILE.c (the samples, the corpus) is transpiled; then, with each
compiler and the flags below, the output is compiled, and so is the
original as plain C: with -DASYNCC_SYNC (async.h maps the dialect away:
await(x) is x), or, for programs that cannot be synchronous (first line
"/* corpus: no-sync */", tasks), as asyncc's parser sees it
(-D__ASYNCC__; also for those that -DASYNCC_SYNC cannot compile, such
as an async_run of a void function).  A warning on the output fails the test unless the
original draws one of the same kind (-W flag) on the same line, which
the output's #line directives point to.  A warning anywhere else (a
line of generated code, a header) always fails it.
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

WARNINGS = ["-Wall", "-Wextra", "-Wshadow", "-Wconversion"]
# file:line:col: warning: message [-Wflag]
WARNING = re.compile(r"^(.*?):(\d+):\d+: warning: .*\[(-W[^\]=,]+)")


def warnings(argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr
    found = []
    for line in p.stderr.splitlines():
        m = WARNING.match(line)
        if m:
            found.append((os.path.realpath(m.group(1)), int(m.group(2)), m.group(3), line))
    return found, p.stderr


def check(src, cc, args):
    """A list of failure messages for one program and compiler."""
    name = os.path.splitext(os.path.basename(src))[0]
    base = [cc, "-std=c11", "-I" + args.include] + args.flag + WARNINGS
    parse_mode = ["-D__ASYNCC__", "-Wno-attributes"]
    if "clang" in os.path.basename(cc):
        parse_mode.append("-Wno-unknown-attributes")
    with open(src) as f:
        no_sync = f.readline().startswith("/* corpus: no-sync */")
    modes = [parse_mode] if no_sync else [["-DASYNCC_SYNC"], parse_mode]
    for mode in modes:
        ref, err = warnings(base + mode + ["-fsyntax-only", src])
        if ref is not None:
            break
    if ref is None:
        return ["%s: the original does not compile as plain C:\n%s" % (name, err)]
    known = {(line, flag) for path, line, flag, _ in ref if path == os.path.realpath(src)}
    out = os.path.join(args.work, "%s.%s.async.c" % (name, os.path.basename(cc)))
    p = subprocess.run([args.asyncc, src, "-o", out, "--", "-I" + args.include,
                        "-std=c11"] + args.flag, capture_output=True, text=True)
    if p.returncode != 0:
        return ["%s: asyncc failed:\n%s" % (name, p.stderr)]
    got, err = warnings(base + ["-c", out, "-o", os.devnull])
    if got is None:
        return ["%s: the output does not compile:\n%s" % (name, err)]
    return ["%s (%s): %s" % (name, os.path.basename(cc), text)
            for path, line, flag, text in got
            if path != os.path.realpath(src) or (line, flag) not in known]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--asyncc", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--cc", action="append", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--flag", action="append", default=[],
                    help="another compiler flag (a library's -I), for asyncc and the compilers")
    ap.add_argument("sources", nargs="+")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    jobs = [(src, cc) for src in args.sources for cc in args.cc]
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for result in pool.map(lambda j: check(j[0], j[1], args), jobs):
            failures += result
    for f in failures:
        print("FAIL " + f)
    print("%d programs x %d compilers (%s): %d new warnings or failures"
          % (len(args.sources), len(args.cc), " ".join(WARNINGS), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
