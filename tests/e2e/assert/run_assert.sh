#!/usr/bin/env bash
# run_assert.sh -- a failing assert in an async function reports the
# user's function name and expression: transpiles and compiles
# failing_assert.c, runs it, and expects it to abort with
#   <prog>: <file>:<line>: check_total: Assertion `total == expected' failed.
#
#   run_assert.sh --asyncc PATH --include DIR --lib PATH --cc CC
#                 [--sanitize=LIST]
#
# --sanitize=LIST builds with -fsanitize=LIST, for a runtime library
# built with those sanitizers.
set -euo pipefail
sanitize=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=$2; shift 2 ;;
    --include) include=$2; shift 2 ;;
    --lib) lib=$2; shift 2 ;;
    --cc) cc=$2; shift 2 ;;
    --sanitize=*) sanitize=("-fsanitize=${1#--sanitize=}"); shift ;;
    *) echo "usage: $0 --asyncc PATH --include DIR --lib PATH --cc CC" >&2; exit 2 ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-assert.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$asyncc" "$here/failing_assert.c" -o "$tmp/prog.c" -- "-I$include" -std=c11
"$cc" -std=c11 -Wall -Wextra -Werror "${sanitize[@]}" "-I$include" \
    "$tmp/prog.c" "$lib" -o "$tmp/prog"
status=0
"$tmp/prog" 2>"$tmp/err" || status=$?
cat "$tmp/err"
if [[ $status == 0 ]]; then
    echo "FAIL: the assert did not fail"
    exit 1
fi
want="failing_assert.c:15: check_total: Assertion \`total == expected' failed."
if ! grep -qF "$want" "$tmp/err"; then
    echo "FAIL: expected a line containing: $want"
    exit 1
fi
echo "PASS: $want"
