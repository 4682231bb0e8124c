#!/usr/bin/env bash
# run_build_type.sh -- configures the project in a build directory of its
# own with one compiler and one build type, builds everything and runs
# its tests there.
#
#   run_build_type.sh --source DIR --build DIR --cc CC --build-type TYPE
#                     [--cmake CMAKE] [--ctest CTEST] [--generator GEN]
#                     [--werror] [-- CTEST_ARGS...]
#
#   CTEST_ARGS   which tests to run (-L, -R, -E...); all but the
#                sanitizer jobs by default
#
# Optimization levels change what a compiler warns about and what
# undefined behaviour does, so the build types are built and tested
# apart: the tests of the build types (buildtype.*) and run_matrix.sh run
# this script.  Uses 2 jobs for the build and the tests.
set -euo pipefail

cmake=cmake ctest=ctest source='' build='' generator=Ninja cc='' build_type=''
werror=OFF
while [[ $# -gt 0 ]]; do
    case $1 in
    --cmake) cmake=${2:?}; shift 2 ;;
    --ctest) ctest=${2:?}; shift 2 ;;
    --source) source=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --generator) generator=${2:?}; shift 2 ;;
    --cc) cc=${2:?}; shift 2 ;;
    --build-type) build_type=${2:?}; shift 2 ;;
    --werror) werror=ON; shift ;;
    --) shift; break ;;
    *)
        echo "usage: $0 --source DIR --build DIR --cc CC --build-type TYPE" \
            "[--cmake CMAKE] [--ctest CTEST] [--generator GEN] [--werror]" \
            "[-- CTEST_ARGS...]" >&2
        exit 2
        ;;
    esac
done
[[ -n $source && -n $build && -n $cc && -n $build_type ]] || {
    echo "$0: missing arguments (--source, --build, --cc, --build-type)" >&2
    exit 2
}
(($# > 0)) || set -- -LE sanitize

step() { echo "== $build_type $(basename "$cc"): $*"; }

mkdir -p "$build"
step "configure $build"
# The sub-build does not start sub-builds of its own: no build-type jobs,
# no sanitizer jobs.
"$cmake" -S "$source" -B "$build" -G "$generator" "-DCMAKE_C_COMPILER=$cc" \
    "-DCMAKE_BUILD_TYPE=$build_type" "-DASYNCC_WERROR=$werror" \
    -DASYNCC_TEST_BUILD_TYPES=OFF -DASYNCC_TEST_SANITIZERS=OFF \
    >"$build/configure.log" 2>&1 || {
    cat "$build/configure.log"
    exit 1
}
step "build"
"$cmake" --build "$build" --parallel 2 >"$build/build.log" 2>&1 || {
    grep -E -B2 -A8 'error|warning:' "$build/build.log" | head -n 150
    exit 1
}
# A warning that is not an error (no --werror) is still shown.
if grep -q 'warning:' "$build/build.log"; then
    step "warnings:"
    grep -E -A6 'warning:' "$build/build.log" | head -n 100
fi
step "ctest $*"
"$ctest" --test-dir "$build" --output-on-failure -j2 "$@"
