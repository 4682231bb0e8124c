#!/usr/bin/env bash
# line_mapping.sh -- asyncc's #line directives put the generated code back
# on the user's lines: a compiler warning inside an async function names
# the user's file and line, and a gdb breakpoint on a user's line inside an
# async function stops there, in the generated resume function.
#
#   line_mapping.sh --asyncc PATH --include DIR --lib PATH --cc CC [--gdb GDB]
set -euo pipefail

asyncc='' include='' lib='' cc='' gdb=''
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --include) include=${2:?}; shift 2 ;;
    --lib) lib=${2:?}; shift 2 ;;
    --cc) cc=${2:?}; shift 2 ;;
    --gdb) gdb=${2:?}; shift 2 ;;
    *) echo "usage: $0 --asyncc PATH --include DIR --lib PATH --cc CC [--gdb GDB]" >&2; exit 2 ;;
    esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL line_mapping: $*"; exit 1; }

# Line numbers below refer to this file.
cat >"$work/prog.c" <<'PROG'
#include <async.h>
#include <stdio.h>

async int step(int n) {
    await(async_sleep(0));
    int unused_here;
    printf("step %d\n", n);
    return n + 1;
}

async int amain(void) {
    int total = 0;
    for (int i = 0; i < 2; i++)
        total += await(step(i));
    return total;
}

int main(void) { return async_run(amain()) == 3 ? 0 : 1; }
PROG

"$asyncc" "$work/prog.c" -o "$work/out.c" -- "-I$include" ||
    fail "asyncc failed"

# 1. The compiler's warning points at line 6 of prog.c, not at out.c.
"$cc" -std=c11 -Wall -Wextra -g -O0 "-I$include" "$work/out.c" "$lib" \
    -o "$work/prog" 2>"$work/cc.err" || fail "compile failed: $(cat "$work/cc.err")"
grep -q "prog.c:6:[0-9]*: warning: unused variable .unused_here." "$work/cc.err" ||
    fail "warning not mapped to prog.c:6: $(cat "$work/cc.err")"

# 2. A breakpoint on prog.c:7 stops in step's resume function, twice.
if [[ -n $gdb ]]; then
    "$gdb" -q -batch -nx \
        -ex "break prog.c:7" -ex run -ex bt -ex continue -ex bt \
        "$work/prog" >"$work/gdb.out" 2>&1 || true
    hits=$(grep -c "step__resume (_frame=.*) at .*prog.c:7" "$work/gdb.out" || true)
    [[ $hits -ge 2 ]] || fail "gdb did not stop at prog.c:7 twice: $(cat "$work/gdb.out")"
fi
echo "PASS line_mapping"
