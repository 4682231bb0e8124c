#!/usr/bin/env bash
# run_error.sh -- checks that asyncc rejects a program with the expected
# diagnostics.
#
#   run_error.sh --asyncc PATH --src FILE.c --expected FILE.err
#                [--include DIR]
#
# Runs asyncc from the directory of FILE.c on its base name, so the
# diagnostics name the file as "FILE.c", and requires exit status 1,
# stderr equal to FILE.err byte for byte, and no output file.  --include
# (runtime/include) is passed on to libclang as -I, as the build does.
# Prints one line, PASS or FAIL and the reason; exits 0 on PASS.
set -euo pipefail

usage() {
    echo "usage: $0 --asyncc PATH --src FILE.c --expected FILE.err" \
        "[--include DIR]" >&2
    exit 2
}

asyncc='' src='' expected='' include=''
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --src) src=${2:?}; shift 2 ;;
    --expected) expected=${2:?}; shift 2 ;;
    --include) include=${2:?}; shift 2 ;;
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

args=("$(basename "$src")" -o "$tmp/out.c")
if [[ -n $include ]]; then
    args+=(-- "-I$include" -std=c11)
fi

status=0
(cd "$(dirname "$src")" && "$asyncc" "${args[@]}") \
    >"$tmp/stdout" 2>"$tmp/stderr" || status=$?

if [[ $status != 1 ]]; then
    cat "$tmp/stderr"
    fail "exit status $status, expected 1"
fi
if ! diff -u --label expected --label actual "$expected" "$tmp/stderr"; then
    fail "stderr differs from $(basename "$expected") (diff above)"
fi
if [[ -s "$tmp/stdout" ]]; then
    cat "$tmp/stdout"
    fail "unexpected output on stdout"
fi
if [[ -e "$tmp/out.c" ]]; then
    fail "asyncc wrote an output file although it reported errors"
fi

pass "rejected with the expected diagnostics"
