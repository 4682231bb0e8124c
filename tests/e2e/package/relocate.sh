#!/usr/bin/env bash
# relocate.sh [common options] -- the installed tree is relocatable:
# installed into a temporary prefix and then moved elsewhere, its asyncc
# finds async.h next to itself (no -I given to it at all), and a program
# transpiled and built with the moved tree alone runs; so does the CMake
# consumer with the moved prefix.  The source and build trees are hidden
# meanwhile (an empty tmpfs mounted over them in a private mount
# namespace, `unshare -rm`), so nothing can come from them; where
# unshare is refused, the depfile check below still shows which async.h
# asyncc read.
source "$(dirname "$0")/common.sh"

install_to "$work/prefix"
mv "$work/prefix" "$work/moved"
mkdir "$work/app" "$work/consumer"
cp "$examples/make-consumer/hello.c" "$work/app/"
cp "$examples/cmake-consumer/CMakeLists.txt" "$examples/cmake-consumer/hello.c" \
    "$work/consumer/"
version=$(sed -n 's/^project(asyncc VERSION \([0-9.]*\).*/\1/p' \
    "$source_dir/CMakeLists.txt")

cat > "$work/inner.sh" <<'INNER'
set -euo pipefail
work=$1 source_dir=$2 build_dir=$3 cc=$4 cmake=$5 generator=$6 version=$7 hide=$8
moved=$work/moved
cd "$work/app"
if [ "$hide" = yes ]; then
    for d in "$build_dir" "$source_dir"; do
        [ -d "$d" ] && mount -t tmpfs none "$d"
    done
    [ ! -e "$source_dir/runtime/include/async.h" ] ||
        { echo "the source tree is still visible" >&2; exit 1; }
fi
export PATH=$moved/bin:/usr/local/bin:/usr/bin:/bin
unset ASYNCC_INCLUDE_DIR CPATH C_INCLUDE_PATH

asyncc --version > version.out
head -1 version.out | grep -qx "asyncc $version" ||
    { echo "asyncc --version: $(cat version.out)" >&2; exit 1; }
grep -q "^built with libclang [0-9]" version.out &&
    grep -q "^running with libclang: .*[0-9]" version.out ||
    { echo "asyncc --version names no libclang: $(cat version.out)" >&2; exit 1; }

# No flags at all: the headers come from the moved tree.
asyncc hello.c -o hello.async.c -MD
grep -q "$moved/include/async.h" hello.async.c.d ||
    { echo "asyncc did not read the moved tree's async.h:" >&2
      cat hello.async.c.d >&2; exit 1; }
"$cc" -std=c11 "-I$moved/include" hello.async.c "$moved/lib/libasyncrt.a" \
    -pthread -o hello
./hello > hello.out

"$cmake" -S "$work/consumer" -B "$work/consumer/build" -G "$generator" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$moved" > cmake.log 2>&1 &&
    "$cmake" --build "$work/consumer/build" >> cmake.log 2>&1 ||
    { cat cmake.log >&2; exit 1; }
"$work/consumer/build/hello" > consumer.out
INNER

hide=no
if unshare -rm true 2>/dev/null; then
    hide=yes
    run=(unshare -rm bash)
else
    echo "note: unshare -rm is refused here: the source and build trees stay visible"
    run=(bash)
fi
"${run[@]}" "$work/inner.sh" "$work" "$source_dir" "$build_dir" "$cc" \
    "$cmake" "$generator" "$version" "$hide" || fail "the moved tree does not work"
diff -u "$expected" "$work/app/hello.out" || fail "hello's output"
diff -u "$expected" "$work/app/consumer.out" || fail "the CMake consumer's output"
echo "relocate: the moved prefix works on its own (trees hidden: $hide)"
