#!/usr/bin/env bash
# run_error.sh -- checks that asyncc rejects a program (or warns about it)
# with the expected diagnostics.
#
#   run_error.sh --asyncc PATH --src FILE.c --expected FILE.err
#                [--include DIR] [--status N]
#
# Runs asyncc from the directory of FILE.c on its base name, so the
# diagnostics name the file as "FILE.c", and requires exit status N
# (default 1), stderr equal to FILE.err byte for byte and nothing on
# stdout.  With a nonzero status asyncc must not write an output file;
# with status 0 (a program that only draws warnings) it must.  --include
# (runtime/include) is passed on to libclang as -I, as the build does.
#
# Sidecar files next to FILE.c, for tests that need more than the
# options above (the build does not pass --status):
#   FILE.status  the expected exit status when --status is not given,
#                e.g. 0 for warnings or 2 for usage errors;
#   FILE.args    asyncc's arguments before -o, one per line, instead of
#                FILE.c's base name (e.g. an unknown option, or the name
#                of a file that does not exist).
# Prints one line, PASS or FAIL and the reason; exits 0 on PASS.
set -euo pipefail

usage() {
    echo "usage: $0 --asyncc PATH --src FILE.c --expected FILE.err" \
        "[--include DIR] [--status N]" >&2
    exit 2
}

asyncc='' src='' expected='' include='' want=''
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --src) src=${2:?}; shift 2 ;;
    --expected) expected=${2:?}; shift 2 ;;
    --include) include=${2:?}; shift 2 ;;
    --status) want=${2:?}; shift 2 ;;
    *) usage ;;
    esac
done
[[ -n $asyncc && -n $src && -n $expected ]] || usage

name=$(basename "$src" .c)

pass() {
    echo "PASS error.$name: $*"
    exit 0
}

fail() {
    echo "FAIL error.$name: $*"
    exit 1
}

[[ -x $asyncc ]] || fail "asyncc not found at $asyncc"
[[ -f $src ]] || fail "no source file $src"
[[ -f $expected ]] || fail "no expected diagnostics $expected"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-e2e.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

base=${src%.c}
if [[ -z $want ]]; then
    want=1
    if [[ -f $base.status ]]; then
        want=$(tr -d '[:space:]' <"$base.status")
    fi
fi
[[ $want =~ ^[0-9]+$ ]] || fail "expected status '$want' is not a number"

if [[ -f $base.args ]]; then
    mapfile -t args <"$base.args"
else
    args=("$(basename "$src")")
fi
args+=(-o "$tmp/out.c")
if [[ -n $include ]]; then
    args+=(-- "-I$include" -std=c11)
fi

status=0
(cd "$(dirname "$src")" && "$asyncc" "${args[@]}") \
    >"$tmp/stdout" 2>"$tmp/stderr" || status=$?

if [[ $status != "$want" ]]; then
    cat "$tmp/stderr"
    fail "exit status $status, expected $want"
fi
if ! diff -u --label expected --label actual "$expected" "$tmp/stderr"; then
    fail "stderr differs from $(basename "$expected") (diff above)"
fi
if [[ -s "$tmp/stdout" ]]; then
    cat "$tmp/stdout"
    fail "unexpected output on stdout"
fi
if [[ $want == 0 ]]; then
    [[ -s "$tmp/out.c" ]] || fail "asyncc succeeded but wrote no output file"
    pass "accepted with the expected warnings"
fi
if [[ -e "$tmp/out.c" ]]; then
    fail "asyncc wrote an output file although it reported errors"
fi

pass "rejected with the expected diagnostics"
