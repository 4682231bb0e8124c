#!/usr/bin/env bash
# clangd.sh [common options] -- clangd on a Make build: with the compile
# database `bear -- make` records for examples/make-consumer (or the same
# entry written by hand where bear is missing), clangd reads hello.c
# without __ASYNCC__ and reports the error async.h gives files that are
# not transpiled; with the .clangd file docs/building.md shows, it
# reports no error in hello.c and still finds a real one in the dialect.
source "$(dirname "$0")/common.sh"

install_to "$work/prefix"
export PATH="$work/prefix/bin:$(dirname "$pkg_config"):$PATH"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
app=$work/app
mkdir "$app"
cp "$examples/make-consumer/Makefile" "$examples/make-consumer/hello.c" "$app/"
cd "$app"
if [ -n "$bear" ]; then
    quiet "$work/make.log" "$bear" -- "$make" CC="$cc"
else
    quiet "$work/make.log" "$make" CC="$cc"
    cat > compile_commands.json <<JSON
[{"directory": "$app", "file": "$app/hello.async.c",
  "arguments": ["$cc", "-c", "-std=c11", "-I$work/prefix/include",
                "-o", "hello", "hello.async.c"]}]
JSON
fi
grep -q 'hello.async.c' compile_commands.json ||
    fail "no compile database: $(cat compile_commands.json)"

check() { "$clangd" --check="$app/$1" > "$work/$1.$2.log" 2>&1; }

if check hello.c without; then
    fail "clangd without __ASYNCC__ found no error: the check proves nothing"
fi
grep -q "asyncc_error_this_file_must_be_transpiled_by_asyncc" "$work/hello.c.without.log" ||
    fail "clangd without __ASYNCC__: $(grep '^E\[' "$work/hello.c.without.log")"

# The snippet: the first ```yaml block of docs/building.md.
awk '/^```yaml$/ { on = 1; next } on && /^```$/ { exit } on { print }' \
    "$source_dir/docs/building.md" > .clangd
grep -q -- '-D__ASYNCC__=1' .clangd || fail "no .clangd snippet in docs/building.md"
check hello.c with ||
    fail "clangd with .clangd: $(grep '^E\[' "$work/hello.c.with.log")"
grep -q "All checks completed, 0 errors" "$work/hello.c.with.log" ||
    fail "clangd did not complete: $(tail -3 "$work/hello.c.with.log")"

# The dialect is type-checked, not merely accepted.
sed 's/await(async_sleep(0.05));/await(async_sleep("soon"));/' hello.c > bad.c
if check bad.c with; then
    fail "clangd with .clangd accepts async_sleep(\"soon\")"
fi
echo "clangd: no error with the documented .clangd, errors without it"
