#!/usr/bin/env bash
# install_consumers.sh --cmake CMAKE --build-dir DIR --examples DIR
#     --expected FILE --generator GEN --cc CC --consumer cmake|make
#     [--make MAKE --pkg-config PKG_CONFIG]
#
# Installs the build in DIR with `cmake --install` into a new temporary
# prefix, then builds one consumer of the installed package from scratch
# in another temporary directory and compares its output with FILE:
#   cmake: examples/cmake-consumer, find_package(asyncc) through
#          CMAKE_PREFIX_PATH;
#   make:  examples/make-consumer, pkg-config through PKG_CONFIG_PATH and
#          the installed asyncc on PATH.
# Both temporary directories are removed on exit.
set -euo pipefail

cmake= build_dir= examples= expected= generator= cc= consumer= make=make
repo=
pkg_config=pkg-config
while [ $# -gt 0 ]; do
    case "$1" in
    --cmake) cmake=$2 ;;
    --build-dir) build_dir=$2 ;;
    --examples) examples=$2 ;;
    --expected) expected=$2 ;;
    --generator) generator=$2 ;;
    --cc) cc=$2 ;;
    --consumer) consumer=$2 ;;
    --make) make=$2 ;;
    --pkg-config) pkg_config=$2 ;;
    --repo) repo=$2 ;;
    *) echo "install_consumers.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift 2
done

prefix=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT

"$cmake" --install "$build_dir" --prefix "$prefix" > "$work/install.log" ||
    { cat "$work/install.log"; exit 1; }

# What the package must contain.
missing=0
for f in bin/asyncc include/async.h include/async/io.h \
         lib/libasyncrt.a lib/libasyncrt.so \
         lib/cmake/asyncc/asynccConfig.cmake \
         lib/cmake/asyncc/asynccConfigVersion.cmake \
         lib/cmake/asyncc/asynccTargets.cmake \
         lib/cmake/asyncc/AsynccTranspile.cmake \
         lib/pkgconfig/asyncrt.pc; do
    if [ ! -e "$prefix/$f" ]; then
        echo "not installed: $f" >&2
        missing=1
    fi
done
[ $missing -eq 0 ] || exit 1

case "$consumer" in
cmake)
    "$cmake" -S "$examples/cmake-consumer" -B "$work/build" -G "$generator" \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
        > "$work/configure.log" 2>&1 ||
        { cat "$work/configure.log"; exit 1; }
    "$cmake" --build "$work/build" > "$work/build.log" 2>&1 ||
        { cat "$work/build.log"; exit 1; }
    # The generated C is in the build tree, not next to hello.c.
    [ -f "$work/build/hello.dir/hello.async.c" ] ||
        { echo "no build/hello.dir/hello.async.c" >&2; exit 1; }
    "$work/build/hello" | diff -u "$expected" -
    ;;
make)
    cp "$examples/make-consumer/Makefile" "$examples/make-consumer/hello.c" \
        "$work/"
    PATH="$prefix/bin:$PATH" PKG_CONFIG_PATH="$prefix/lib/pkgconfig" \
        "$make" -C "$work" CC="$cc" PKG_CONFIG="$pkg_config" \
        > "$work/make.log" 2>&1 ||
        { cat "$work/make.log"; exit 1; }
    "$work/hello" | diff -u "$expected" -
    ;;
incremental)
    # Two async sources, one of which includes a header: after a build,
    # building again runs nothing, and touching the header re-runs asyncc
    # for that source alone (asyncc's depfile names the header).
    src=$work/src
    mkdir -p "$src"
    cat > "$src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(incremental C)
find_package(asyncc CONFIG REQUIRED)
add_executable(app)
asyncc_target_sources(app PRIVATE a.c b.c)
CMAKE
    printf '#define GREETING "hello"\n' > "$src/cfg.h"
    cat > "$src/a.c" <<'C'
#include <async.h>
#include <stdio.h>
#include "cfg.h"
async int b_value(void);
async int amain(void) {
    printf("%s %d\n", GREETING, await(b_value()));
    return 0;
}
int main(void) { return async_run(amain()); }
C
    cat > "$src/b.c" <<'C'
#include <async.h>
async int b_value(void) {
    await(async_sleep(0));
    return 42;
}
C
    "$cmake" -S "$src" -B "$work/build" -G "$generator" \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
        > "$work/configure.log" 2>&1 ||
        { cat "$work/configure.log"; exit 1; }
    "$cmake" --build "$work/build" > "$work/build.log" 2>&1 ||
        { cat "$work/build.log"; exit 1; }
    [ "$("$work/build/app")" = "hello 42" ] || { echo "app output" >&2; exit 1; }
    # Editors see the generated files and the originals, parsed as asyncc
    # parses them.
    db=$work/build/compile_commands.json
    grep -q '"file": *".*app.dir/a.async.c"' "$db" ||
        { echo "compile_commands.json lacks a.async.c" >&2; exit 1; }
    grep -q '"file": *".*/src/a.c"' "$db" &&
        grep -q -- '-D__ASYNCC__=1' "$db" ||
        { echo "compile_commands.json lacks a.c parsed with __ASYNCC__" >&2; exit 1; }
    grep -q '#line [0-9]* ".*/src/a.c"' "$work/build/app.dir/a.async.c" ||
        { echo "a.async.c has no #line for a.c" >&2; exit 1; }
    runs() { grep -c "bin/asyncc " "$1" || true; }
    "$cmake" --build "$work/build" --verbose > "$work/again.log" 2>&1
    if [ "$(runs "$work/again.log")" != 0 ]; then
        echo "a build with nothing changed ran asyncc:" >&2
        cat "$work/again.log" >&2
        exit 1
    fi
    sleep 1 # a newer timestamp than the outputs on coarse file systems
    touch "$src/cfg.h"
    "$cmake" --build "$work/build" --verbose > "$work/touched.log" 2>&1
    if [ "$(runs "$work/touched.log")" != 1 ] ||
        ! grep "bin/asyncc " "$work/touched.log" | grep -q "/a\.c "; then
        echo "touching cfg.h did not re-run asyncc for a.c alone:" >&2
        cat "$work/touched.log" >&2
        exit 1
    fi
    # A dialect error is a compiler-style error on the user's file and
    # line in the build log, and fails the build.
    printf '#include <async.h>\nasync int b_value(void) { return 1; }\nasync int c(void) { b_value(); return 0; }\n' \
        > "$src/b.c"
    if "$cmake" --build "$work/build" > "$work/error.log" 2>&1; then
        echo "a build with a dialect error succeeded" >&2
        exit 1
    fi
    grep -q "src/b.c:3:21: error: call to async function 'b_value' is not awaited" \
        "$work/error.log" ||
        { echo "no compiler-style error in the build log:" >&2; cat "$work/error.log" >&2; exit 1; }
    echo "incremental: nothing re-runs nothing; cfg.h re-runs a.c only"
    ;;
subdirectory)
    # The same consumer with this repository added as a subdirectory
    # instead of installed (how FetchContent uses it too): asyncc and
    # asyncrt are built from source as its dependencies.
    src=$work/src
    mkdir -p "$src"
    cp "$examples/cmake-consumer/hello.c" "$src/"
    cat > "$src/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(subdirectory C)
set(ASYNCC_BUILD_TESTS OFF CACHE BOOL "" FORCE)
add_subdirectory("$repo" asyncc EXCLUDE_FROM_ALL)
add_executable(hello)
asyncc_target_sources(hello PRIVATE hello.c)
CMAKE
    "$cmake" -S "$src" -B "$work/build" -G "$generator" \
        -DCMAKE_C_COMPILER="$cc" > "$work/configure.log" 2>&1 ||
        { cat "$work/configure.log"; exit 1; }
    "$cmake" --build "$work/build" --target hello > "$work/build.log" 2>&1 ||
        { cat "$work/build.log"; exit 1; }
    "$work/build/hello" | diff -u "$expected" -
    ;;
*)
    echo "install_consumers.sh: --consumer cmake, make, incremental or subdirectory" >&2
    exit 2
    ;;
esac
