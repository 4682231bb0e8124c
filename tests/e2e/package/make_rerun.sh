#!/usr/bin/env bash
# make_rerun.sh [common options] -- under make, which compares time
# stamps, asyncc does not run again once its output is up to date, even
# when the output's contents did not change: after a build, touching a
# source and building again, a second build runs nothing.  Checked for
# examples/make-consumer and for a CMake consumer with the Unix Makefiles
# generator.
source "$(dirname "$0")/common.sh"

install_to "$work/prefix"
export PATH="$work/prefix/bin:$(dirname "$pkg_config"):$PATH"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"

# examples/make-consumer
app=$work/app
mkdir "$app"
cp "$examples/make-consumer/Makefile" "$examples/make-consumer/hello.c" "$app/"
quiet "$work/make1.log" "$make" -C "$app" CC="$cc"
sleep 1 # a newer time stamp than the outputs on coarse file systems
touch "$app/hello.c"
quiet "$work/make2.log" "$make" -C "$app" CC="$cc"
grep -q "^asyncc " "$work/make2.log" ||
    fail "touching hello.c did not re-run asyncc: $(cat "$work/make2.log")"
"$make" -q --no-print-directory -C "$app" CC="$cc" ||
    fail "make-consumer is not up to date after a build: $("$make" -n -C "$app" CC="$cc")"
quiet "$work/make3.log" "$make" -C "$app" CC="$cc"
if grep -q "^asyncc \|^$cc\|^cc " "$work/make3.log"; then
    fail "a second build ran commands: $(cat "$work/make3.log")"
fi

# CMake, Unix Makefiles
src=$work/src
mkdir "$src"
cp "$examples/cmake-consumer/CMakeLists.txt" "$examples/cmake-consumer/hello.c" "$src/"
quiet "$work/configure.log" "$cmake" -S "$src" -B "$work/build" \
    -G "Unix Makefiles" -DCMAKE_MAKE_PROGRAM="$make" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$work/prefix"
quiet "$work/build1.log" "$cmake" --build "$work/build"
sleep 1
touch "$src/hello.c"
quiet "$work/build2.log" "$cmake" --build "$work/build" --verbose
grep -q "bin/asyncc " "$work/build2.log" ||
    fail "touching hello.c did not re-run asyncc: $(cat "$work/build2.log")"
quiet "$work/build3.log" "$cmake" --build "$work/build" --verbose
if grep -q "bin/asyncc \|Building C object\|Linking C" "$work/build3.log"; then
    fail "a second build ran asyncc or the compiler: $(cat "$work/build3.log")"
fi
"$work/build/hello" | diff -u "$expected" - || fail "hello's output"
echo "make_rerun: after a touch, one build re-runs asyncc and the next runs nothing"
