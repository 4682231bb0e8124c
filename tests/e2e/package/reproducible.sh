#!/usr/bin/env bash
# reproducible.sh [common options] -- the same sources built in two
# directories give byte-identical transpiled files and binaries:
#   by hand, as examples/make-consumer builds: `asyncc app.c` (a relative
#     name, which #line and __FILE__ keep) and the compiler with -g and
#     -ffile-prefix-map=$PWD=. (docs/building.md);
#   with CMake: one source tree, two build directories, each with
#     -ffile-prefix-map=<build dir>=.
# and an odd file name survives #line and the generated code.
source "$(dirname "$0")/common.sh"

install_to "$work/prefix"
inc=$work/prefix/include
lib=$work/prefix/lib/libasyncrt.a
for d in one two/deeper; do
    dir=$work/$d
    mkdir -p "$dir"
    cat > "$dir/app.c" <<'C'
#include <assert.h>
#include <async.h>
#include <stdio.h>

async int twice(int x) {
    await(async_sleep(0));
    assert(x < 100);
    return 2 * x;
}

async int amain(void) {
    printf("%s %d\n", __FILE__, await(twice(21)));
    return 0;
}

int main(void) { return async_run(amain()); }
C
    (cd "$dir" &&
        "$work/prefix/bin/asyncc" app.c -o app.async.c -- "-I$inc" -std=c11 &&
        "$cc" -std=c11 -g -O1 -ffile-prefix-map="$PWD"=. "-I$inc" app.async.c \
            "$lib" -pthread -o app) > "$work/build.log" 2>&1 ||
        { cat "$work/build.log" >&2; fail "building in $d"; }
    [ "$("$dir/app")" = "app.c 42" ] || fail "__FILE__ is not app.c: $("$dir/app")"
done
grep -q '^#line 1 "app.c"$' "$work/one/app.async.c" ||
    fail "the #line does not name app.c: $(sed -n 1,3p "$work/one/app.async.c")"
cmp "$work/one/app.async.c" "$work/two/deeper/app.async.c" ||
    fail "the transpiled files differ"
cmp "$work/one/app" "$work/two/deeper/app" || fail "the binaries differ"

# A name with a quote, a backslash and "*/" is escaped in #line and in
# the task dump's string, kept from ending a comment, and __FILE__ gives
# it back as it was written.
odd='su*/we"ird\name.c'
mkdir "$work/one/su*"
cp "$work/one/app.c" "$work/one/$odd"
(cd "$work/one" &&
    "$work/prefix/bin/asyncc" "$odd" -o odd.async.c -- "-I$inc" -std=c11 &&
    "$cc" -std=c11 "-I$inc" odd.async.c "$lib" -pthread -o odd) \
    > "$work/odd.log" 2>&1 || { cat "$work/odd.log" >&2; fail "building $odd"; }
[ "$("$work/one/odd")" = "$odd 42" ] || fail "__FILE__ of $odd: $("$work/one/odd")"

src=$work/src
mkdir "$src"
cp "$work/one/app.c" "$src/"
cat > "$src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(reproducible C)
find_package(asyncc CONFIG REQUIRED)
add_executable(app)
asyncc_target_sources(app PRIVATE app.c)
CMAKE
for b in b1 elsewhere/b2; do
    quiet "$work/configure.log" "$cmake" -S "$src" -B "$work/$b" \
        -G "$generator" -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        "-DCMAKE_C_FLAGS=-ffile-prefix-map=$work/$b=."
    quiet "$work/build.log" "$cmake" --build "$work/$b"
    [ "$("$work/$b/app")" = "$src/app.c 42" ] ||
        fail "__FILE__ under CMake: $("$work/$b/app")"
done
cmp "$work/b1/app.dir/app.async.c" "$work/elsewhere/b2/app.dir/app.async.c" ||
    fail "the CMake builds' transpiled files differ"
cmp "$work/b1/app" "$work/elsewhere/b2/app" || fail "the CMake builds' binaries differ"
echo "reproducible: identical transpiled files and binaries in two directories"
