#!/usr/bin/env bash
# c_standard.sh [common options] -- asyncc_target_sources gives asyncc
# the C standard the compiler gets, and names each source as CMake names
# it to the compiler.  A consumer of the installed package has:
#   nostd   no standard set: the compiler's default, GNU extensions on,
#           so <math.h> declares M_PI (under -std=c11 it would not);
#   gnu11   C_STANDARD 11, extensions on by default: -std=gnu11;
#   strict  C_STANDARD 99 and C_EXTENSIONS OFF: -std=c99;
#   dflt    CMAKE_C_STANDARD 11 set before it: -std=gnu11.
# Each source checks the standard with #error, so a mismatch stops asyncc
# or the compiler; a file the parse skipped (#if) would leave `async` in
# the output, which does not compile.  __FILE__ in a transpiled source
# is the absolute path CMake gives the compiler for an ordinary one.
source "$(dirname "$0")/common.sh"

install_to "$work/prefix"
src=$work/src
mkdir "$src"
cat > "$src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(c_standard C)
find_package(asyncc CONFIG REQUIRED)
add_executable(nostd plain.c)
asyncc_target_sources(nostd PRIVATE pi.c)
target_link_libraries(nostd PRIVATE m)
add_executable(gnu11 plain.c)
set_target_properties(gnu11 PROPERTIES C_STANDARD 11)
target_compile_definitions(gnu11 PRIVATE WANT_STD=201112L WANT_GNU=1)
asyncc_target_sources(gnu11 PRIVATE pi.c)
target_link_libraries(gnu11 PRIVATE m)
add_executable(strict plain.c)
set_target_properties(strict PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
target_compile_definitions(strict PRIVATE WANT_STD=199901L WANT_GNU=0)
asyncc_target_sources(strict PRIVATE pi.c)
target_link_libraries(strict PRIVATE m)
set(CMAKE_C_STANDARD 11)
add_executable(dflt plain.c)
target_compile_definitions(dflt PRIVATE WANT_STD=201112L WANT_GNU=1)
asyncc_target_sources(dflt PRIVATE pi.c)
target_link_libraries(dflt PRIVATE m)
CMAKE
cat > "$src/pi.c" <<'C'
#include <async.h>
#include <math.h>
#include <stdio.h>

#ifdef WANT_STD
#if __STDC_VERSION__ != WANT_STD
#error "not the target's C standard"
#endif
#if WANT_GNU == defined(__STRICT_ANSI__)
#error "not the target's C extensions"
#endif
#endif

#if WANT_GNU + 0 || !defined(WANT_STD)
#define PI M_PI /* declared with GNU extensions only */
#else
#define PI 3.14159265358979323846
#endif

const char *plain_file(void);

async double area(double r) {
    await(async_sleep(0));
    return PI * r * r;
}

async int amain(void) {
    printf("%.2f\n%s\n%s\n", await(area(1.0)), __FILE__, plain_file());
    return 0;
}

int main(void) { return async_run(amain()); }
C
printf 'const char *plain_file(void);\nconst char *plain_file(void) { return __FILE__; }\n' \
    > "$src/plain.c"

quiet "$work/configure.log" "$cmake" -S "$src" -B "$work/build" -G "$generator" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$work/prefix"
quiet "$work/build.log" "$cmake" --build "$work/build"
for t in nostd gnu11 strict dflt; do
    "$work/build/$t" > "$work/$t.out" || fail "$t failed"
    printf '3.14\n%s\n%s\n' "$src/pi.c" "$src/plain.c" |
        diff -u - "$work/$t.out" || fail "$t's output"
done
echo "c_standard: asyncc parsed each target with its compiler's standard"
