#!/usr/bin/env bash
# deb.sh [common options] -- `cpack -G DEB` builds a Debian package that
# holds exactly what `cmake --install` installs (under /usr) and depends
# on libclang's runtime and built-in headers; unpacked into an empty root
# with `dpkg -x`, it builds examples/make-consumer (pkg-config, asyncc on
# PATH) and examples/cmake-consumer (find_package), which run.
source "$(dirname "$0")/common.sh"

quiet "$work/cpack.log" "$cpack" -G DEB -B "$work/pkg" \
    --config "$build_dir/CPackConfig.cmake"
debs=("$work"/pkg/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] ||
    fail "cpack made no single .deb: $(ls "$work/pkg")"
deb=${debs[0]}

# Dependencies: libclang's shared library package and its headers.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
grep -Eq '(^|, )libclang1-[0-9]+( |,|$)|(^|, )libclang1( |,|$)' <<< "$depends" ||
    fail "the package does not depend on libclang's runtime: $depends"
grep -Eq '(^|, )libclang-common-[0-9]+-dev' <<< "$depends" ||
    fail "the package does not depend on libclang's built-in headers: $depends"
grep -q 'libc6' <<< "$depends" || fail "the package does not depend on libc6"

# Contents: what an install gives, no more, no less.  gdb's auto-load
# script sits under a directory named after the library's absolute
# path, the temporary prefix's here, /usr's in the package.
install_to "$work/prefix"
(cd "$work/prefix" && find . ! -type d |
    sed -e 's|^\./|usr/|' -e "s|^usr/share/gdb/auto-load$work/prefix/|usr/share/gdb/auto-load/usr/|" |
    sort) > "$work/installed"
mkdir "$work/root"
dpkg -x "$deb" "$work/root"
(cd "$work/root" && find . ! -type d | sed 's|^\./||' | sort) > "$work/packaged"
diff -u "$work/installed" "$work/packaged" || fail "the package's files"
for f in usr/bin/asyncc usr/include/async.h usr/lib/libasyncrt.a \
         usr/lib/libasyncrt.so usr/lib/cmake/asyncc/asynccConfig.cmake \
         usr/lib/pkgconfig/asyncrt.pc; do
    grep -qx "$f" "$work/packaged" || fail "not in the package: $f"
done
if [ "$tls" = ON ]; then
    grep -qx usr/lib/libasyncrt-tls.a "$work/packaged" &&
        grep -qx usr/lib/pkgconfig/asyncrt-tls.pc "$work/packaged" ||
        fail "asyncrt_tls is not in the package"
fi

root=$work/root/usr
mkdir "$work/app"
cp "$examples/make-consumer/Makefile" "$examples/make-consumer/hello.c" "$work/app/"
PATH="$root/bin:$(dirname "$pkg_config"):$PATH" PKG_CONFIG_PATH="$root/lib/pkgconfig" \
    quiet "$work/make.log" "$make" -C "$work/app" CC="$cc"
"$work/app/hello" | diff -u "$expected" - || fail "make-consumer's output"

quiet "$work/configure.log" "$cmake" -S "$examples/cmake-consumer" \
    -B "$work/build" -G "$generator" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_PREFIX_PATH="$root"
quiet "$work/build.log" "$cmake" --build "$work/build"
grep -q "$root/bin/asyncc" "$work/build/CMakeCache.txt" "$work/build"/*.ninja \
    "$work/build"/CMakeFiles/*.dir/build.make 2>/dev/null ||
    fail "the CMake consumer did not use the packaged asyncc"
"$work/build/hello" | diff -u "$expected" - || fail "cmake-consumer's output"
echo "deb: $(basename "$deb") builds both consumers"
