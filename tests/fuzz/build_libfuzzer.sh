#!/usr/bin/env bash
# build_libfuzzer.sh CMAKE CLANG SOURCE_DIR BUILD_DIR GENERATOR
#
# Builds the libFuzzer target asyncc_fuzz with clang in a build tree of
# its own (a project has one C compiler, and the main build's is usually
# gcc), which later runs only bring up to date.
set -euo pipefail
cmake=$1 clang=$2 src=$3 tree=$4 generator=$5
"$cmake" -S "$src" -B "$tree" -G "$generator" -DCMAKE_C_COMPILER="$clang" \
    -DASYNCC_FUZZ=ON -DASYNCC_BUILD_TESTS=OFF >/dev/null
"$cmake" --build "$tree" --target asyncc_fuzz -j2
