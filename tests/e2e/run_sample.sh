#!/usr/bin/env bash
# run_sample.sh -- one end-to-end run of a sample program: transpile it
# with asyncc, compile the output with a C compiler, run it, and compare
# its stdout with the expected output.
#
#   run_sample.sh --asyncc PATH --include DIR --lib PATH --cc CC
#                 --src SAMPLE.c --expected SAMPLE.out
#                 [--valgrind] [--sanitize[=LIST]]
#                 [--min-seconds S] [--max-seconds S] [--timeout S]
#
#   --include      runtime/include (where async.h lives)
#   --lib          libasyncrt.a
#   --cc           the compiler for asyncc's output (gcc, clang or a path)
#   --valgrind     run the program under valgrind (memory errors, leaks)
#   --sanitize[=LIST]
#                  build with these sanitizers (-fsanitize=LIST, default
#                  address,undefined); the runtime library may be built
#                  without them
#   --min-seconds, --max-seconds
#                  bounds on the wall time of the run: the check that
#                  concurrent sleeps overlap and that sleeps do sleep
#   --timeout      seconds before the run is killed (default 60)
#
# Before comparing, every "<digits>.<digits> seconds" in the actual and
# the expected output becomes "N seconds", so measured times compare
# equal.  Prints one line, PASS or FAIL and the reason; exits 0 on PASS.
set -euo pipefail

usage() {
    echo "usage: $0 --asyncc PATH --include DIR --lib PATH --cc CC" \
        "--src FILE.c --expected FILE.out [--valgrind] [--sanitize[=LIST]]" \
        "[--min-seconds S] [--max-seconds S] [--timeout S]" >&2
    exit 2
}

asyncc='' include='' lib='' cc='' src='' expected=''
valgrind=0 sanitizers='' min_seconds='' max_seconds='' timeout_seconds=60
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --include) include=${2:?}; shift 2 ;;
    --lib) lib=${2:?}; shift 2 ;;
    --cc) cc=${2:?}; shift 2 ;;
    --src) src=${2:?}; shift 2 ;;
    --expected) expected=${2:?}; shift 2 ;;
    --valgrind) valgrind=1; shift ;;
    --sanitize) sanitizers=address,undefined; shift ;;
    --sanitize=*) sanitizers=${1#--sanitize=}; shift ;;
    --min-seconds) min_seconds=${2:?}; shift 2 ;;
    --max-seconds) max_seconds=${2:?}; shift 2 ;;
    --timeout) timeout_seconds=${2:?}; shift 2 ;;
    *) usage ;;
    esac
done
[[ -n $asyncc && -n $include && -n $lib && -n $cc && -n $src &&
    -n $expected ]] || usage

name=$(basename "$src" .c)

pass() {
    echo "PASS $name: $*"
    exit 0
}

fail() {
    echo "FAIL $name: $*"
    exit 1
}

[[ -x $asyncc ]] || fail "asyncc not found at $asyncc"
[[ -f $lib ]] || fail "runtime library not found at $lib"
[[ -f $src ]] || fail "no source file $src"
[[ -f $expected ]] || fail "no expected output $expected"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-e2e.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# 1. Transpile, with the flags asyncc_add_executable passes.
if ! "$asyncc" "$src" -o "$tmp/$name.async.c" -- "-I$include" -std=c11 \
    2>"$tmp/asyncc.err"; then
    cat "$tmp/asyncc.err"
    fail "asyncc failed"
fi
[[ -s "$tmp/$name.async.c" ]] || fail "asyncc wrote no output"

# 2. Compile.
# DWARF 4: Debian 12's valgrind cannot read the DWARF 5 clang 14 writes.
cflags=(-std=c11 -Wall -Wextra -Werror -g -gdwarf-4)
if [[ -n $sanitizers ]]; then
    source "$(dirname "${BASH_SOURCE[0]}")/sanitize.sh"
    sanitize_setup "$sanitizers"
    cflags+=("${sanitize_cflags[@]}")
fi
if ! "$cc" "${cflags[@]}" "-I$include" "$tmp/$name.async.c" "$lib" \
    -o "$tmp/prog" 2>"$tmp/cc.err"; then
    cat "$tmp/cc.err"
    fail "$cc could not compile asyncc's output"
fi

# 3. Run.
run=(timeout "$timeout_seconds")
if [[ $valgrind == 1 ]]; then
    run+=(valgrind --error-exitcode=99 --leak-check=full
        "--errors-for-leak-kinds=definite,indirect" --track-origins=yes -q)
fi
start=$EPOCHREALTIME
status=0
"${run[@]}" "$tmp/prog" >"$tmp/actual.out" || status=$?
end=$EPOCHREALTIME
elapsed=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')

if [[ $status != 0 ]]; then
    echo "--- stdout of the failed run:"
    cat "$tmp/actual.out"
    if [[ $status == 124 ]]; then
        fail "timed out after $timeout_seconds s"
    elif [[ $status == 99 && $valgrind == 1 ]]; then
        fail "valgrind found errors (report above)"
    elif [[ -n $sanitizers ]]; then
        fail "exit status $status (any sanitizer report is above)"
    else
        fail "exit status $status"
    fi
fi

# 4. Compare.
normalise() {
    sed -E 's/[0-9]+\.[0-9]+ seconds/N seconds/g' "$1"
}
normalise "$expected" >"$tmp/expected.norm"
normalise "$tmp/actual.out" >"$tmp/actual.norm"
if ! diff -u --label expected --label actual \
    "$tmp/expected.norm" "$tmp/actual.norm"; then
    fail "output differs from $(basename "$expected") (diff above)"
fi

# 5. Wall time.
if [[ -n $min_seconds ]] &&
    awk -v t="$elapsed" -v m="$min_seconds" 'BEGIN { exit !(t < m) }'; then
    fail "ran for ${elapsed} s, less than the minimum ${min_seconds} s"
fi
if [[ -n $max_seconds ]] &&
    awk -v t="$elapsed" -v m="$max_seconds" 'BEGIN { exit !(t > m) }'; then
    fail "ran for ${elapsed} s, more than the maximum ${max_seconds} s"
fi

how=$cc
[[ -n $sanitizers ]] && how+=", -fsanitize=$sanitizers"
[[ $valgrind == 1 ]] && how+=", valgrind"
pass "output matches ($how, ${elapsed} s)"
