#!/usr/bin/env bash
# build_libfuzzer.sh CLANG SOURCE_DIR BUILD_DIR GENERATOR
#
# Builds the libFuzzer target asyncc_fuzz with clang in a build tree of
# its own (a project has one C compiler, and the main build's is usually
# gcc), which later runs only bring up to date.
set -euo pipefail
clang=$1 src=$2 tree=$3 generator=$4
cmake -S "$src" -B "$tree" -G "$generator" -DCMAKE_C_COMPILER="$clang" \
    -DASYNCC_FUZZ=ON -DASYNCC_BUILD_TESTS=OFF >/dev/null
cmake --build "$tree" --target asyncc_fuzz -j2
