#!/usr/bin/env bash
# run_matrix.sh -- every build type with every compiler: Debug, Release,
# RelWithDebInfo and MinSizeRel, each with gcc and with clang, configured
# with warnings as errors, built, and tested (run_build_type.sh).
#
#   tests/buildtypes/run_matrix.sh [--dir DIR] [--only REGEX] [-- CTEST_ARGS...]
#
#   --dir DIR    where the eight build directories go (build-matrix)
#   --only REGEX only the combinations whose name (gcc-Release, ...)
#                matches
#   CTEST_ARGS   which tests each runs; all but the sanitizer jobs by
#                default (-L unit for the product code's unit tests)
#
# Prints a summary line per combination and fails if any failed.  All
# tests of all eight take about an hour and a half on two processors.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source=$(cd "$here/../.." && pwd)
dir=$source/build-matrix only=''
while [[ $# -gt 0 ]]; do
    case $1 in
    --dir) dir=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --) shift; break ;;
    *)
        echo "usage: $0 [--dir DIR] [--only REGEX] [-- CTEST_ARGS...]" >&2
        exit 2
        ;;
    esac
done

mkdir -p "$dir"
summary=() failed=0
for cc in gcc clang; do
    for type in Debug Release RelWithDebInfo MinSizeRel; do
        name=$cc-$type
        [[ -z $only || $name =~ $only ]] || continue
        start=$SECONDS
        if "$here/run_build_type.sh" --source "$source" --build "$dir/$name" \
            --cc "$cc" --build-type "$type" --werror -- "$@" \
            >"$dir/$name.log" 2>&1; then
            result=passed
        else
            result=FAILED
            failed=$((failed + 1))
        fi
        line="$name: $result in $((SECONDS - start)) s (log: $dir/$name.log)"
        echo "$line"
        summary+=("$line")
    done
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $((failed > 0))
