#!/usr/bin/env bash
# run_sync.sh -- the differential check: compiles a corpus program as
# plain synchronous C, without asyncc, and compares its stdout with the
# expected output that the transpiled program must also produce.
#
#   run_sync.sh --include DIR --cc CC --src FILE.c --expected FILE.out
#               [--sanitize[=LIST]] [--timeout S] [--print]
#
#   --include   runtime/include (where async.h lives)
#   --cc        the C compiler (gcc, clang or a path)
#   --sanitize[=LIST]
#               build with these sanitizers (default address,undefined)
#   --timeout   seconds before the run is killed (default 60)
#   --print     print the program's output instead of comparing it (to
#               write a new FILE.out; read it before committing it)
#
# With -DASYNCC_SYNC, async.h makes `async` empty, await(x) is (x),
# async_gather runs its calls one after the other, async_run(x) is x and
# async_sleep returns at once; async_spawn does not exist.  Programs whose
# first line is the comment "/* corpus: no-sync */" use what this mode
# cannot express (tasks, timing, real interleaving): they are skipped
# (exit status 77).  Programs whose first line is
# "/* corpus: sync-gcc-only */" use async_defer, which this mode builds
# from GNU C nested functions: clang has none, so they are skipped under
# clang (gcc still checks them).  Prints one line, PASS, FAIL or SKIP and the reason;
# exits 0 on PASS.
set -euo pipefail

usage() {
    echo "usage: $0 --include DIR --cc CC --src FILE.c --expected FILE.out" \
        "[--sanitize[=LIST]] [--timeout S] [--print]" >&2
    exit 2
}

include='' cc='' src='' expected='' sanitizers='' timeout_seconds=60 print=0
while [[ $# -gt 0 ]]; do
    case $1 in
    --include) include=${2:?}; shift 2 ;;
    --cc) cc=${2:?}; shift 2 ;;
    --src) src=${2:?}; shift 2 ;;
    --expected) expected=${2:?}; shift 2 ;;
    --sanitize) sanitizers=address,undefined; shift ;;
    --sanitize=*) sanitizers=${1#--sanitize=}; shift ;;
    --timeout) timeout_seconds=${2:?}; shift 2 ;;
    --print) print=1; shift ;;
    *) usage ;;
    esac
done
[[ -n $include && -n $cc && -n $src ]] || usage
[[ $print == 1 || -n $expected ]] || usage

name=$(basename "$src" .c)

pass() {
    echo "PASS $name: $*"
    exit 0
}

fail() {
    echo "FAIL $name: $*"
    exit 1
}

[[ -f $src ]] || fail "no source file $src"
if head -n 1 "$src" | grep -q '^/\* corpus: no-sync \*/'; then
    echo "SKIP $name: marked no-sync"
    exit 77
fi
if head -n 1 "$src" | grep -q '^/\* corpus: sync-gcc-only \*/' &&
    "$cc" --version 2>/dev/null | grep -qi clang; then
    echo "SKIP $name: marked sync-gcc-only (async_defer needs GNU C nested functions)"
    exit 77
fi
[[ $print == 1 || -f $expected ]] || fail "no expected output $expected"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-sync.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# DWARF 4: Debian 12's valgrind cannot read the DWARF 5 clang 14 writes.
cflags=(-DASYNCC_SYNC "-I$include" -std=c11 -Wall -Wextra -Werror -g -gdwarf-4)
if [[ -n $sanitizers ]]; then
    source "$(dirname "${BASH_SOURCE[0]}")/../e2e/sanitize.sh"
    sanitize_setup "$sanitizers"
    cflags+=("${sanitize_cflags[@]}")
fi
if ! "$cc" "${cflags[@]}" "$src" -o "$tmp/prog" 2>"$tmp/cc.err"; then
    cat "$tmp/cc.err"
    fail "$cc could not compile the program as synchronous C"
fi

status=0
timeout "$timeout_seconds" "$tmp/prog" >"$tmp/actual.out" || status=$?
if [[ $print == 1 ]]; then
    cat "$tmp/actual.out"
    [[ $status == 0 ]] || fail "exit status $status"
    exit 0
fi
if [[ $status != 0 ]]; then
    echo "--- stdout of the failed run:"
    cat "$tmp/actual.out"
    [[ $status == 124 ]] && fail "timed out after $timeout_seconds s"
    fail "exit status $status"
fi

if ! diff -u --label expected --label actual "$expected" "$tmp/actual.out"; then
    fail "output differs from $(basename "$expected") (diff above)"
fi
pass "output matches (synchronous C, $cc)"
