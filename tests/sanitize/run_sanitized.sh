#!/usr/bin/env bash
# run_sanitized.sh -- one sanitizer job: configures the project in its own
# build directory with -DASYNCC_SANITIZE=LIST (everything instrumented:
# asyncc, asyncrt, the unit tests and every program the tests transpile
# and compile), builds it and runs its tests there.
#
#   run_sanitized.sh --cmake CMAKE --ctest CTEST --source DIR --build DIR
#                    --generator GEN --cc CC [--build-type TYPE] [--werror]
#                    --sanitize LIST [-- CTEST_ARGS...]
#
#   CTEST_ARGS   which tests to run (-L, -R...); all of them by default
#
# Any sanitizer report ends the program that made it with a failing status
# (-fno-sanitize-recover=all, halt_on_error), so the test that ran it
# fails, and so does this script; tests that fail without a report run
# once more (below).  Uses 2 jobs for the build and the tests.
set -euo pipefail

cmake='' ctest='' source='' build='' generator='' cc='' build_type='' werror=OFF
sanitizers=''
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
    --sanitize) sanitizers=${2:?}; shift 2 ;;
    --) shift; break ;;
    *)
        echo "usage: $0 --cmake CMAKE --ctest CTEST --source DIR" \
            "--build DIR --generator GEN --cc CC [--build-type TYPE] [--werror]" \
            "--sanitize LIST [-- CTEST_ARGS...]" >&2
        exit 2
        ;;
    esac
done
[[ -n $cmake && -n $ctest && -n $source && -n $build && -n $generator &&
    -n $cc && -n $sanitizers ]] || {
    echo "$0: missing arguments" >&2
    exit 2
}

source "$source/tests/e2e/sanitize.sh"
sanitize_setup "$sanitizers"

step() { echo "== -fsanitize=$sanitizers: $*"; }

mkdir -p "$build"
step "configure $build"
"$cmake" -S "$source" -B "$build" -G "$generator" "-DCMAKE_C_COMPILER=$cc" \
    ${build_type:+"-DCMAKE_BUILD_TYPE=$build_type"} \
    "-DASYNCC_SANITIZE=$sanitizers" -DASYNCC_TEST_SANITIZERS=OFF \
    "-DASYNCC_WERROR=$werror" \
    >"$build/configure.log" 2>&1 || {
    cat "$build/configure.log"
    exit 1
}
step "build"
"$cmake" --build "$build" --parallel 2 >"$build/build.log" 2>&1 || {
    tail -n 100 "$build/build.log"
    exit 1
}
step "ctest $*"
"$ctest" --test-dir "$build" --output-on-failure -j2 "$@" && exit 0

# The runtime's tests and the timing tests check what sleeps some
# milliseconds apart do, and sanitizers slow programs down several times
# (on a busy machine, more): tests that failed with no sanitizer report
# run once more, one at a time.  A report never gets a second run.
if grep -Eq 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|ThreadSanitizer: |runtime error: ' \
    "$build/Testing/Temporary/LastTest.log"; then
    echo "== sanitizer reports above: failed"
    exit 1
fi
step "no sanitizer report: the failed tests once more, one at a time"
"$ctest" --test-dir "$build" --output-on-failure --rerun-failed
