#!/usr/bin/env bash
# run_corpus.sh -- runs the whole corpus without CMake: every run/*.c
# transpiled and built with each compiler given (../e2e/run_sample.sh),
# and the differential synchronous build (run_sync.sh) of every program
# not marked "/* corpus: no-sync */".  CTest runs the same checks one by
# one (CMakeLists.txt); this script is for trying asyncc quickly.
#
#   run_corpus.sh --asyncc PATH --include DIR --lib PATH
#                 [--cc CC]... [--sanitize[=LIST]] [--filter SUBSTRING]
#
#   --cc        a compiler for asyncc's output (repeatable; default gcc)
#   --sanitize[=LIST]
#               build and run with these sanitizers (default
#               address,undefined)
#   --filter    only programs whose name contains SUBSTRING
#
# Prints one PASS/FAIL line per check (the details of a failure follow
# it) and a summary; exits 0 when everything passed.
set -euo pipefail

usage() {
    echo "usage: $0 --asyncc PATH --include DIR --lib PATH [--cc CC]..." \
        "[--sanitize[=LIST]] [--filter SUBSTRING]" >&2
    exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
asyncc='' include='' lib='' filter='' extra=()
compilers=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --include) include=${2:?}; shift 2 ;;
    --lib) lib=${2:?}; shift 2 ;;
    --cc) compilers+=("${2:?}"); shift 2 ;;
    --sanitize | --sanitize=*) extra+=("$1"); shift ;;
    --filter) filter=${2:?}; shift 2 ;;
    *) usage ;;
    esac
done
[[ -n $asyncc && -n $include && -n $lib ]] || usage
[[ ${#compilers[@]} -gt 0 ]] || compilers=(gcc)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# check <description> <command>...: runs one check; a failure's details
# (at most 40 lines: a runaway program's output can be huge) follow its
# FAIL line.
passed=0 failed=0 failures=()
check() {
    local what=$1 status=0
    shift
    "$@" >"$tmp/out" 2>&1 || status=$?
    if [[ $status == 0 ]]; then
        passed=$((passed + 1))
        tail -n 1 "$tmp/out"
    elif [[ $status != 77 ]]; then
        failed=$((failed + 1))
        failures+=("$what")
        tail -n 1 "$tmp/out" | cut -c 1-300 || true
        sed '$d' "$tmp/out" | head -n 40 | cut -c 1-300 | sed 's/^/    /' ||
            true
    fi
}

for src in "$here"/run/*.c; do
    name=$(basename "$src" .c)
    [[ -z $filter || $name == *"$filter"* ]] || continue
    exp=$here/run/$name.out
    for cc in "${compilers[@]}"; do
        check "$name ($cc)" bash "$here/../e2e/run_sample.sh" \
            --asyncc "$asyncc" --include "$include" --lib "$lib" --cc "$cc" \
            --src "$src" --expected "$exp" --timeout 10 ${extra[@]+"${extra[@]}"}
    done
    check "$name (sync)" bash "$here/run_sync.sh" --include "$include" \
        --cc "${compilers[0]}" --src "$src" --expected "$exp" --timeout 10 \
        ${extra[@]+"${extra[@]}"}
done

echo "corpus: $passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then
    for f in "${failures[@]}"; do
        echo "  failed: $f"
    done
fi
[[ $failed == 0 ]]
