#!/usr/bin/env bash
# run_pair.sh -- an asyncc program against the same program in Python's
# asyncio: runs NAME.py with python3 and takes what it prints as the
# expected output of NAME.c, which run_sample.sh then transpiles,
# compiles, runs and compares (times as "N seconds" on both sides).
#
#   run_pair.sh --python PYTHON --src NAME.c [run_sample.sh options...]
#
# NAME.py sits beside NAME.c.  Exits 77 (skipped) when the Python
# interpreter cannot run asyncio programs of this suite (3.11 or later:
# TaskGroup, Barrier, timeout).
set -euo pipefail

python='' src='' rest=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --python) python=${2:?}; shift 2 ;;
    --src) src=${2:?}; rest+=(--src "$2"); shift 2 ;;
    *) rest+=("$1"); shift ;;
    esac
done
[[ -n $python && -n $src ]] || {
    echo "usage: $0 --python PYTHON --src NAME.c [run_sample.sh options]" >&2
    exit 2
}
py=${src%.c}.py
name=$(basename "$src" .c)
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "SKIP $name: $python is older than 3.11"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-pair.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! timeout 60 "$python" "$py" >"$tmp/python.out"; then
    echo "FAIL $name: $(basename "$py") failed"
    exit 1
fi
exec "$(dirname "${BASH_SOURCE[0]}")/../e2e/run_sample.sh" "${rest[@]}" \
    --expected "$tmp/python.out"
