#!/usr/bin/env python3
"""check_json.py -- checks asyncc --inspect=json on several programs.

    check_json.py --asyncc PATH --include DIR --root DIR [--cc CC]...

For samples/retry.c, samples/gather.c, tests/e2e/programs/recursion.c and
tests/e2e/programs/control_flow.c (under --root, the project's source
tree) it checks that the document parses, follows schema 1, and holds
specific states, transitions, fields and reasons.  Then, for each C
compiler given with --cc, it checks every size, offset and alignment the
document reports against that compiler: the program is transpiled, and a
file that includes the generated C and states each value as a
_Static_assert must compile (-fsyntax-only).  So the sizes are checked on
any target, and stay right when the runtime's structs change.

Prints one line per program, PASS or FAIL; exits 0 when all pass.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


def run_asyncc(args, src, flags):
    """asyncc ARGS FILE -- FLAGS, from the directory of FILE."""
    proc = subprocess.run(
        [args.asyncc] + flags[0] + [os.path.basename(src), "--"] + flags[1],
        cwd=os.path.dirname(src), capture_output=True, text=True)
    if proc.returncode != 0:
        raise Failure("asyncc %s failed (%d): %s" %
                      (" ".join(flags[0]), proc.returncode, proc.stderr))
    return proc.stdout


def clang_flags(args):
    return ["-I" + args.include, "-std=c11"]


def load(args, src):
    text = run_asyncc(args, src, (["--inspect=json"], clang_flags(args)))
    doc = json.loads(text)
    expect(doc["schema"] == 1, "schema is %r" % doc["schema"])
    expect(doc["file"] == os.path.basename(src), "file is %r" % doc["file"])
    return doc


def function(doc, name):
    for f in doc["functions"]:
        if f["name"] == name:
            return f
    raise Failure("no function %s" % name)


def field(fields, path):
    """The field at "_aw.g1.a2" in a list of fields."""
    head, _, rest = path.partition(".")
    for f in fields:
        if f["name"] == head:
            return field(f.get("fields", []), rest) if rest else f
    raise Failure("no field %s" % path)


def local(fn, name):
    for loc in fn["locals"]:
        if loc["name"] == name:
            return loc
    raise Failure("no local %s in %s" % (name, fn["name"]))


def transitions(fn):
    return {(t["from"], t["to"]): t["kinds"] for t in fn["transitions"]}


def states(fn):
    return [(s["id"], s["line"], s["col"], s["await"]) for s in fn["states"]]


# --- what each program must show ---------------------------------------

def check_retry(doc):
    expect([f["name"] for f in doc["functions"]] == [
        "fetch", "fetch_with_retry", "fetch_record", "fetch_or_default",
        "checksum", "countdown", "amain"], "functions in file order")
    f = function(doc, "fetch_with_retry")
    expect(f["line"] == 37, "fetch_with_retry's line")
    expect(states(f) == [
        (1, 43, 17, "await(fetch(id, attempt))"),
        (2, 49, 13, "await(async_sleep(delay_ms / 1000.0))")],
        "fetch_with_retry's states: %r" % states(f))
    expect(transitions(f) == {
        (0, 1): ["next"], (0, -1): ["return"],
        (1, 1): ["next"], (1, 2): ["next"], (1, -1): ["return", "fail"],
        (2, 1): ["next"], (2, -1): ["return", "fail"]},
        "fetch_with_retry's transitions: %r" % transitions(f))
    fields = f["frame"]["fields"]
    expect([x["name"] for x in fields] == [
        "_state", "id", "max_attempts", "attempt", "delay_ms", "value",
        "_aw", "_ret"], "fetch_with_retry's fields")
    expect(field(fields, "attempt")["reason"] == "live" and
           field(fields, "attempt")["states"] == [1, 2], "attempt is live")
    expect(field(fields, "id")["reason"] == "parameter", "id is a parameter")
    a1 = field(fields, "_aw.a1")
    expect(a1["type"] == "struct fetch__frame" and a1["states"] == [1] and
           a1["reason"] == "child_frame", "state 1's child frame: %r" % a1)
    expect(field(fields, "_aw.a2")["offset"] == a1["offset"],
           "the union's members share their offset")
    g = function(doc, "fetch_or_default")
    expect(not local(g, "value")["in_frame"] and
           local(g, "value")["reason"] == "not_live",
           "fetch_or_default's value stays a C local")
    m = function(doc, "amain")
    expect(m["states"][2]["kind"] == "join" and
           m["states"][2]["callee"] is None, "await(background) joins")
    expect(m["frame"]["saved"] > 0, "amain's frame shares child frames")
    expect(field(m["frame"]["fields"], "total")["states"] == [1, 2, 3, 4, 5],
           "total lives across every state")


def check_gather(doc):
    m = function(doc, "amain")
    expect(len(m["states"]) == 1, "one state for the gather")
    s = m["states"][0]
    expect(s["kind"] == "gather" and s["callee"] == "task, task, task" and
           not s["allocated"], "the gather state: %r" % s)
    expect(transitions(m) == {(0, 1): ["next"], (1, -1): ["end", "fail"]},
           "amain's transitions: %r" % transitions(m))
    a1 = field(m["frame"]["fields"], "_aw.a1")
    expect([x["name"] for x in a1["fields"]] ==
           ["g", "t0", "c0", "t1", "c1", "t2", "c2"], "the gather's slot")
    c0 = field(m["frame"]["fields"], "_aw.a1.c0")
    expect(c0["type"] == "struct task__frame" and
           c0["reason"] == "child_frame", "call 0's frame is embedded")
    expect(field(m["frame"]["fields"], "_aw.a1.t0")["reason"] == "task",
           "call 0's task")
    expect(field(m["frame"]["fields"], "start")["states"] == [1],
           "start lives across the gather")
    t = function(doc, "task")
    expect(field(t["frame"]["fields"], "seconds")["type"] == "double",
           "task's parameter types")


def check_recursion(doc):
    fib = function(doc, "fib")
    expect([s["allocated"] for s in fib["states"]] == [False, True, True],
           "fib's recursive awaits allocate their frames")
    a2 = field(fib["frame"]["fields"], "_aw.g1.a2")
    expect(a2["reason"] == "allocated_frame" and a2["states"] == [2],
           "state 2's slot: %r" % a2)
    frame = field(fib["frame"]["fields"], "_aw.g1.a2.frame")
    expect(frame["type"] == "void *" and frame["reason"] == "allocated_frame",
           "state 2 keeps a pointer to the child frame")
    expect(field(fib["frame"]["fields"], "_aw.g1.a2.value")["reason"] ==
           "value", "and the child's result")
    expect(field(fib["frame"]["fields"], "_aw.g1")["reason"] == "group",
           "one statement's two awaits form a group")
    expect(transitions(fib)[(0, 1)] == ["next"] and
           transitions(fib)[(0, 2)] == ["next"] and
           transitions(fib)[(2, 3)] == ["next"] and
           transitions(fib)[(2, -1)] == ["fail"], "fib's transitions")
    for name in ("is_even", "is_odd", "sum"):
        expect(function(doc, name)["states"][0]["allocated"],
               "%s's await closes a cycle" % name)
    pfib = function(doc, "pfib")
    expect(pfib["states"][0]["kind"] == "gather" and
           pfib["states"][0]["allocated"], "pfib gathers recursive calls")
    expect(field(pfib["frame"]["fields"], "_aw.a1.c0")["type"] == "void *",
           "a gathered recursive call's frame is allocated")
    expect(field(pfib["frame"]["fields"], "a")["reason"] == "in_scope",
           "&a is taken: a is kept")
    m = function(doc, "amain")
    expect(not m["states"][0]["allocated"] and
           field(m["frame"]["fields"], "_aw.a1")["type"] ==
           "struct pfib__frame", "amain embeds pfib's frame")


def check_control_flow(doc):
    loops = function(doc, "loops")
    expect(len(loops["states"]) == 8, "loops has 8 states")
    want = {
        (0, 1): ["next"],
        (1, 1): ["next"], (1, 2): ["next"], (1, -1): ["fail"],
        (2, 2): ["next"], (2, 3): ["next"], (2, -1): ["fail"],
        (3, 4): ["next"], (3, 5): ["next"], (3, 8): ["next"],
        (3, -1): ["fail"],
        (4, 3): ["next"], (4, -1): ["fail"],
        (5, 5): ["next"], (5, 6): ["next"], (5, 7): ["next"],
        (5, 8): ["next"], (5, -1): ["fail"],
        (6, 5): ["next"], (6, 8): ["next"], (6, -1): ["fail"],
        (7, 5): ["next"], (7, 8): ["next"], (7, -1): ["fail"],
        (8, 8): ["next"], (8, -1): ["return", "fail"]}
    expect(transitions(loops) == want,
           "loops' transitions: %r" % transitions(loops))
    expect(all(x["reason"] == "in_scope" for x in loops["frame"]["fields"]
               if x["name"] in ("sum", "k", "tries")),
           "loops has goto: its locals are kept by scope")
    loc = function(doc, "locals")
    fields = loc["frame"]["fields"]
    expect(field(fields, "arr")["type"] == "int[4]" and
           field(fields, "arr")["reason"] == "in_scope", "arr is an array")
    expect(field(fields, "shadow_2")["states"] == [7],
           "the inner shadow lives across state 7 only")
    expect(not local(loc, "qx")["in_frame"], "qx stays a C local")
    m = function(doc, "amain")
    expect([s["kind"] for s in m["states"]] ==
           ["await", "await", "await", "join", "join"], "amain's kinds")


CHECKS = [
    ("samples/retry.c", check_retry),
    ("samples/gather.c", check_gather),
    ("tests/e2e/programs/recursion.c", check_recursion),
    ("tests/e2e/programs/control_flow.c", check_control_flow),
]


# --- sizes, offsets and alignments against the C compiler -------------

def structure(fn, fields, parent=None):
    """Offsets grow, union members share theirs, members lie inside."""
    end = 0
    for f in fields:
        expect(f["size"] is not None and f["offset"] is not None,
               "%s.%s has a size and offset" % (fn, f["name"]))
        if parent is None:
            expect(f["offset"] >= end, "%s.%s overlaps" % (fn, f["name"]))
            end = f["offset"] + f["size"]
        else:
            lo, hi, union = parent
            expect(lo <= f["offset"] and f["offset"] + f["size"] <= hi,
                   "%s.%s lies in its parent" % (fn, f["name"]))
            expect(not union or f["offset"] == lo,
                   "%s.%s starts its union" % (fn, f["name"]))
        if "fields" in f:
            structure(fn, f["fields"], (f["offset"], f["offset"] + f["size"],
                                        f["type"].startswith("union")))


def asserts(doc):
    out = ["#include <stddef.h>"]
    n = 0

    def say(expr, value):
        nonlocal n
        n += 1
        out.append("_Static_assert(%s == %d, \"%d: %s\");" %
                   (expr, value, n, expr.replace('"', "'")))

    def walk(frame, fields, prefix):
        for f in fields:
            path = prefix + f["name"]
            say("offsetof(%s, %s)" % (frame, path), f["offset"])
            say("sizeof(((%s *)0)->%s)" % (frame, path), f["size"])
            say("_Alignof(__typeof__(((%s *)0)->%s))" % (frame, path),
                f["align"])
            walk(frame, f.get("fields", []), path + ".")

    for fn in doc["functions"]:
        frame = "struct %s" % fn["frame"]["struct"]
        say("sizeof(%s)" % frame, fn["frame"]["size"])
        say("_Alignof(%s)" % frame, fn["frame"]["align"])
        walk(frame, fn["frame"]["fields"], "")
        for loc in fn["locals"]:
            if loc["type"] and "(" not in loc["type"]:
                say("sizeof(%s)" % loc["type"], loc["size"])
    return "\n".join(out) + "\n"


def check_sizes(args, src, doc):
    for fn in doc["functions"]:
        fr = fn["frame"]
        structure(fn["name"], fr["fields"])
        expect(fr["saved"] == fr["all_locals_size"] - fr["size"],
               "%s: saved is the difference" % fn["name"])
        kept = sum(loc["size"] for loc in fn["locals"])
        aw = [f for f in fr["fields"] if f["name"] == "_aw"]
        children = sum(f["size"] for f in aw[0]["fields"]) if aw else 0
        expect(fr["all_locals_size"] >= kept + children,
               "%s: the unshared frame holds every local and child" %
               fn["name"])
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(tmp, "gen.c")
        run_asyncc(args, src, (["-P", "-o", gen], clang_flags(args)))
        checker = os.path.join(tmp, "check.c")
        with open(checker, "w") as f:
            f.write('#include "gen.c"\n' + asserts(doc))
        for cc in args.cc:
            proc = subprocess.run(
                [cc, "-std=gnu11", "-fsyntax-only", "-I" + args.include,
                 "-I" + os.path.dirname(src), checker],
                capture_output=True, text=True)
            if proc.returncode != 0:
                raise Failure("%s disagrees with the reported layout:\n%s" %
                              (cc, proc.stderr[:4000]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--asyncc", required=True)
    p.add_argument("--include", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--cc", action="append", default=[])
    args = p.parse_args()
    # asyncc runs in each program's directory
    args.asyncc = os.path.abspath(args.asyncc)
    args.include = os.path.abspath(args.include)
    failed = 0
    for rel, check in CHECKS:
        src = os.path.join(args.root, rel)
        try:
            doc = load(args, src)
            check(doc)
            check_sizes(args, src, doc)
            print("PASS inspect.json %s" % rel)
        except (Failure, KeyError, TypeError, ValueError) as e:
            print("FAIL inspect.json %s: %s" % (rel, e))
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
