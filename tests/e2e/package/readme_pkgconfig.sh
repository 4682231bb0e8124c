#!/usr/bin/env bash
# readme_pkgconfig.sh [common options] -- the README's "Make and
# pkg-config" commands, taken from the README itself, work against an
# install in a temporary prefix (not on the loader's search path): the
# shared-library recipe and its static variant each build a program that
# runs as built.
source "$(dirname "$0")/common.sh"

install_to "$work/prefix"
readme=$source_dir/README.md
# The first two ```sh blocks after the "**Make and pkg-config**" heading.
block() {
    awk -v want="$1" '
        /^\*\*Make and pkg-config\*\*/ { on = 1 }
        on && /^```sh$/ { n++; inside = (n == want); next }
        inside && /^```$/ { exit }
        inside { print }' "$readme"
}
block 1 > "$work/shared.sh"
block 2 > "$work/static.sh"
grep -q '^asyncc hello.c' "$work/shared.sh" && grep -q '^cc ' "$work/shared.sh" ||
    fail "no pkg-config recipe in the README: $(cat "$work/shared.sh")"
grep -q 'libasyncrt.a' "$work/static.sh" ||
    fail "no static variant in the README: $(cat "$work/static.sh")"
# The static variant's line replaces the recipe's second line.
{ head -1 "$work/shared.sh"; cat "$work/static.sh"; } > "$work/static_full.sh"

for variant in shared static_full; do
    dir=$work/$variant
    mkdir "$dir"
    cp "$examples/make-consumer/hello.c" "$dir/"
    (cd "$dir" &&
        PATH="$work/prefix/bin:$(dirname "$pkg_config"):$PATH" \
        PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" \
        bash -euo pipefail "$work/$variant.sh") \
        > "$dir/build.log" 2>&1 ||
        { cat "$dir/build.log" >&2; fail "the README's $variant recipe does not build"; }
    (cd / && env -u LD_LIBRARY_PATH "$dir/hello") > "$dir/out" 2>&1 ||
        { cat "$dir/out" >&2; fail "the $variant program does not run"; }
    diff -u "$expected" "$dir/out" || fail "the $variant program's output"
done
# The static one does not need the prefix at run time.
if ldd "$work/static_full/hello" | grep -q libasyncrt; then
    fail "the static variant links libasyncrt.so"
fi
echo "readme_pkgconfig: the README's recipes build and run against $work/prefix"
