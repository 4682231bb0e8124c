#!/usr/bin/env bash
# run_inspect.sh -- checks asyncc's report on a program's state machines
# against an expected file, byte for byte.
#
#   run_inspect.sh --asyncc PATH --src FILE.c --expected FILE
#                  [--format inspect|json|dot] [--include DIR] [--sizes]
#
# Runs asyncc from the directory of FILE.c on its base name (so the report
# names the file as "FILE.c", wherever the tree is), with --inspect
# (default), --inspect=json or --dot, and requires exit status 0, nothing
# on stderr and stdout equal to FILE.
#
# Sizes and offsets belong to the target (the expected files hold those
# of x86-64 Linux) and to the runtime's structs, which change on their
# own: the text format's sizes are compared only with --sizes, otherwise
# masked on both sides.  The JSON test checks every size against the C
# compiler instead.  --include (runtime/include) is passed to libclang
# as -I.  Prints one line, PASS or FAIL and the reason; exits 0 on PASS.
set -euo pipefail

usage() {
    echo "usage: $0 --asyncc PATH --src FILE.c --expected FILE" \
        "[--format inspect|json|dot] [--include DIR] [--sizes]" >&2
    exit 2
}

asyncc='' src='' expected='' format=inspect include='' sizes=0
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --src) src=${2:?}; shift 2 ;;
    --expected) expected=${2:?}; shift 2 ;;
    --format) format=${2:?}; shift 2 ;;
    --include) include=${2:?}; shift 2 ;;
    --sizes) sizes=1; shift ;;
    *) usage ;;
    esac
done
[[ -n $asyncc && -n $src && -n $expected ]] || usage

name="$(basename "$src" .c).$format"
pass() {
    echo "PASS inspect.$name: $*"
    exit 0
}
fail() {
    echo "FAIL inspect.$name: $*"
    exit 1
}

[[ -x $asyncc ]] || fail "asyncc not found at $asyncc"
[[ -f $src ]] || fail "no source file $src"
[[ -f $expected ]] || fail "no expected output $expected"
case $format in
inspect) flag=--inspect ;;
json) flag=--inspect=json ;;
dot) flag=--dot ;;
*) usage ;;
esac

# asyncc runs in the program's directory
asyncc=$(cd "$(dirname "$asyncc")" && pwd)/$(basename "$asyncc")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-inspect.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

args=("$flag" "$(basename "$src")")
if [[ -n $include ]]; then
    args+=(-- "-I$include" -std=c11)
fi
status=0
(cd "$(dirname "$src")" && "$asyncc" "${args[@]}") \
    >"$tmp/stdout" 2>"$tmp/stderr" || status=$?
if [[ $status != 0 ]]; then
    cat "$tmp/stderr"
    fail "exit status $status, expected 0"
fi
if [[ -s "$tmp/stderr" ]]; then
    cat "$tmp/stderr"
    fail "unexpected output on stderr"
fi

# The text format's sizes: field rows (offset, size), the frame's size and
# alignment, the unshared size and the saving, the sizes of locals.
mask() {
    sed -E \
        -e 's/^ +[0-9?]+ +[0-9?]+  /         #     #  /' \
        -e 's/^(  frame struct [^:]+: )[0-9?]+ bytes, align [0-9?]+/\1# bytes, align #/' \
        -e 's/^(  unshared: )[0-9?]+ bytes/\1# bytes/' \
        -e 's/; ([0-9]+ bytes saved \([0-9]+%\)|nothing saved)/; # saved/' \
        -e '/^  not in the frame: /s/[0-9?]+ bytes, line/# bytes, line/g' \
        "$1"
}
want=$expected got=$tmp/stdout
if [[ $format == inspect && $sizes == 0 ]]; then
    mask "$expected" >"$tmp/want"
    mask "$tmp/stdout" >"$tmp/got"
    want=$tmp/want got=$tmp/got
fi
if ! diff -u --label expected --label actual "$want" "$got"; then
    fail "the report differs from $(basename "$expected") (diff above)"
fi
pass "the report is as expected"
