#!/usr/bin/env bash
# run_transpiled_runtime.sh -- builds asyncrt from asyncc's copies of the
# runtime's sources (transpiled_runtime/CMakeLists.txt) in a build
# directory of its own, and runs the runtime's unit tests against it.
#
#   run_transpiled_runtime.sh --asyncc PATH --cmake CMAKE --ctest CTEST
#                             --generator GEN --cc CC --build DIR
#                             [--build-type TYPE] [--werror]
set -euo pipefail

asyncc='' cmake='' ctest='' generator='' cc='' build='' build_type='' werror=OFF
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --cmake) cmake=${2:?}; shift 2 ;;
    --ctest) ctest=${2:?}; shift 2 ;;
    --generator) generator=${2:?}; shift 2 ;;
    --cc) cc=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --build-type) build_type=${2:?}; shift 2 ;;
    --werror) werror=ON; shift ;;
    *)
        echo "usage: $0 --asyncc PATH --cmake CMAKE --ctest CTEST" \
            "--generator GEN --cc CC --build DIR [--build-type TYPE] [--werror]" >&2
        exit 2
        ;;
    esac
done
[[ -n $asyncc && -n $cmake && -n $ctest && -n $generator && -n $cc &&
    -n $build ]] || {
    echo "$0: missing arguments" >&2
    exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$build"
echo "== configure $build"
"$cmake" -S "$here/transpiled_runtime" -B "$build" -G "$generator" \
    "-DCMAKE_C_COMPILER=$cc" "-DASYNCC=$asyncc" \
    ${build_type:+"-DCMAKE_BUILD_TYPE=$build_type"} \
    "-DASYNCC_WERROR=$werror" \
    >"$build/configure.log" 2>&1 || {
    cat "$build/configure.log"
    exit 1
}
echo "== build"
"$cmake" --build "$build" --parallel 2 >"$build/build.log" 2>&1 || {
    tail -n 100 "$build/build.log"
    exit 1
}
# Every runtime source went through asyncc, and none came out changed
# (none has an async function): the library is the runtime's own code.
for src in "$here"/../../runtime/src/*.c; do
    out="$build/runtime/$(basename "$src")"
    tail -n +3 "$out" | cmp -s - "$src" || {
        echo "FAIL: asyncc changed $(basename "$src")"
        exit 1
    }
done
echo "== ctest"
"$ctest" --test-dir "$build" --output-on-failure -j2
