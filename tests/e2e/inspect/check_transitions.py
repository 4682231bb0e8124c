#!/usr/bin/env python3
"""check_transitions.py -- the transitions asyncc --inspect reports for
every program given are the transitions of the code asyncc generates.

For each program: asyncc writes the C and the JSON report;
emitted_transitions reads the C's control flow (see its header).  Per
function, the dispatch must have one `case N: goto asyncc_resume_N` per
reported state, and:
  - every reported transition is a path in the generated code;
  - every path in the generated code is a reported transition, except
    those into or out of a state the report calls unreachable (asyncc
    folds constant operands, `0 && await(f())`, that the generated code
    keeps in a temporary);
  - a transition to done is a failure in the report exactly when the
    generated code gets there through asyncc_exit, and a return or the
    end exactly when it gets there otherwise.

    check_transitions.py --asyncc PATH --checker PATH --include DIR
                         [--flag FLAG]... FILE.c...
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile


def emitted(checker, c_file, flags):
    out = subprocess.run([checker, c_file] + flags, capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise RuntimeError("emitted_transitions failed:\n" + out.stderr)
    cases, edges = {}, {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if parts[0] == "cases":
            cases[parts[1]] = [int(x) for x in parts[2:]]
        else:
            fn, frm, to, kind = parts[0], int(parts[1]), int(parts[2]), parts[3]
            edges.setdefault(fn, {}).setdefault((frm, to), set()).add(kind)
    return cases, edges


def check_file(args, path, tmp):
    flags = ["-I" + args.include] + args.flag
    c_file = os.path.join(tmp, os.path.basename(path))
    run = subprocess.run([args.asyncc, path, "-o", c_file, "--"] + flags,
                         capture_output=True, text=True)
    if run.returncode != 0:
        return ["asyncc failed:\n" + run.stderr]
    report = subprocess.run([args.asyncc, "--inspect=json", path, "--"] + flags,
                            capture_output=True, text=True)
    if report.returncode != 0:
        return ["asyncc --inspect=json failed:\n" + report.stderr]
    doc = json.loads(report.stdout)
    cases, edges = emitted(args.checker, c_file, flags)
    problems = []
    for fn in doc["functions"]:
        name = fn["name"]
        ids = [s["id"] for s in fn["states"]]
        if cases.get(name) != ids:
            problems.append("%s: the dispatch has cases %s, the report states "
                            "%s" % (name, cases.get(name), ids))
            continue
        unreachable = {s["id"] for s in fn["states"] if not s["reachable"]}
        reported = {(t["from"], t["to"]): set(t["kinds"])
                    for t in fn["transitions"]}
        code = edges.get(name, {})
        for pair, kinds in sorted(reported.items()):
            if pair not in code:
                problems.append("%s: reported %d -> %d %s is no path in the "
                                "generated code" % (name, *pair, sorted(kinds)))
                continue
            if pair[1] == -1:
                fail_in_code = "fail" in code[pair]
                normal_in_code = "next" in code[pair]
                if ("fail" in kinds) != fail_in_code:
                    problems.append("%s: %d -> done: the report says %s, the "
                                    "code %s through asyncc_exit" %
                                    (name, pair[0], sorted(kinds),
                                     "gets there" if fail_in_code
                                     else "never gets there"))
                if bool(kinds & {"return", "end"}) != normal_in_code:
                    problems.append("%s: %d -> done: the report says %s, the "
                                    "code %s by a return or the end" %
                                    (name, pair[0], sorted(kinds),
                                     "gets there" if normal_in_code
                                     else "never gets there"))
        for pair in sorted(code):
            if pair in reported or pair[0] in unreachable or \
                    pair[1] in unreachable:
                continue
            problems.append("%s: the generated code goes %d -> %d, which the "
                            "report does not list" % (name, *pair))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--asyncc", required=True)
    ap.add_argument("--checker", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--flag", action="append", default=[])
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    failed = 0
    functions = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.files:
            try:
                problems = check_file(args, path, tmp)
            except RuntimeError as e:
                problems = [str(e)]
            if problems:
                failed += 1
                print("FAIL %s" % path)
                for p in problems:
                    print("    " + p)
    print("%d of %d programs agree" % (len(args.files) - failed,
                                        len(args.files)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
