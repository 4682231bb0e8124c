#!/usr/bin/env bash
# warning_flags.sh [common options] -- asyncc_target_sources passes the
# target's warning options to asyncc.  A consumer of the installed
# package builds one source with a type mistake in an awaited call
# (a char * for an int) twice:
#   lenient  -Wall: the build succeeds; asyncc's warning names the
#            user's line and column and parameter, and the compiler
#            repeats nothing at generated code;
#   strict   -Wall -Werror: asyncc stops the build with the same
#            message as an error, as the untranspiled build would stop.
source "$(dirname "$0")/common.sh"

install_to "$work/prefix"
src=$work/src
mkdir "$src"
cat > "$src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(warning_flags C)
find_package(asyncc CONFIG REQUIRED)
asyncc_add_executable(lenient mistake.c)
target_compile_options(lenient PRIVATE -Wall)
asyncc_add_executable(strict mistake.c)
target_compile_options(strict PRIVATE -Wall -Werror)
CMAKE
cat > "$src/mistake.c" <<'C'
#include <async.h>

async int twice(int n) { return 2 * n; }

async int amain(void) {
    char *text = "7";
    return await(twice(text)) == 0;
}

int main(void) { return async_run(amain()); }
C

quiet "$work/configure.log" "$cmake" -S "$src" -B "$work/build" -G "$generator" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$work/prefix"
want="mistake.c:7:24: warning: incompatible pointer to integer conversion passing 'char \*' to parameter of type 'int' \[-Wint-conversion\]"
"$cmake" --build "$work/build" --target lenient > "$work/lenient.log" 2>&1 ||
    { cat "$work/lenient.log"; fail "lenient did not build"; }
grep -q "$want" "$work/lenient.log" || { cat "$work/lenient.log"; fail "no asyncc warning at mistake.c:7:24"; }
grep -q "mistake.c:3:.*note: passing argument to parameter 'n' here" "$work/lenient.log" ||
    { cat "$work/lenient.log"; fail "no note at the parameter's declaration"; }
[[ $(grep -c 'warning:' "$work/lenient.log") == 1 ]] ||
    { cat "$work/lenient.log"; fail "the compiler repeated the warning"; }
if "$cmake" --build "$work/build" --target strict > "$work/strict.log" 2>&1; then
    cat "$work/strict.log"
    fail "strict built despite -Werror"
fi
grep -q "mistake.c:7:24: error: .*\[-Werror,-Wint-conversion\]" "$work/strict.log" ||
    { cat "$work/strict.log"; fail "no asyncc error under -Werror"; }
echo "warning_flags: the target's -W options reached asyncc"
