#!/usr/bin/env bash
# run_gdb.sh --gdb GDB --script asyncc_gdb.py --source gdb_prog.c PROGRAM
#
# Drives gdb in batch mode over PROGRAM (gdb_prog.c built -g -O0) with the
# asyncc extension loaded, and checks what it shows: the frame's fields
# by the user's names in `info locals` and `bt full`, $NAME and `async
# print`, `async bt` of the running task and of a suspended one,
# `async tasks`, the same from a core file written by gcore, and that a
# breakpoint on every line of the source resolves to one location.
# Lines are found by the MARK comments of gdb_prog.c.
set -euo pipefail

gdb='' script='' src=''
while [[ $# -gt 1 ]]; do
    case $1 in
    --gdb) gdb=$2; shift 2 ;;
    --script) script=${2:?}; shift 2 ;;
    --source) src=${2:?}; shift 2 ;;
    *) break ;;
    esac
done
prog=${1:?usage: $0 --gdb GDB --script PY --source SRC PROGRAM}
if [[ -z $gdb ]] || ! "$gdb" -batch -nx -ex 'python print(1)' >/dev/null 2>&1; then
    echo "skipped: gdb with Python is not installed (Debian's gdb package)"
    exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/out
fail() {
    echo "FAIL: $1"
    echo "--- gdb output"
    cat "$out"
    exit 1
}
mark() { grep -n "MARK $1\b" "$src" | cut -d: -f1; }
base=$(basename "$src")
after_await=$(mark after_await)
leaf_sleep=$(mark leaf_sleep)
leaf_return=$(mark leaf_return)
middle_await=$(mark middle_await)
worker_await=$(mark worker_await)
amain_await=$(mark amain_await)
G=("$gdb" -q -batch -nx -iex "set pagination off" -iex "source $script")

# 1. Stopped in middle after its first await: the locals by their names.
"${G[@]}" -ex "break $base:$after_await" -ex run \
    -ex 'info locals' -ex 'print $err' -ex 'print $body' \
    -ex 'async print tag' -ex 'async print n + 40' -ex 'bt full 1' \
    "$prog" >"$out" 2>&1 || fail "gdb failed"
grep -q "Breakpoint 1, middle__resume" "$out" || fail "no stop in middle"
grep -qx 'body = 0x[0-9a-f]* "hello"' "$out" || fail "info locals: body"
grep -qx 'err = -5' "$out" || fail "info locals: err"
grep -qx 'n = 2' "$out" || fail "info locals: n"
grep -qx 'tag = "tag-2\(\\000\)*"' "$out" || fail "info locals: tag"
grep -qx '\$1 = -5' "$out" || fail 'print $err'
grep -qx '\$2 = 0x[0-9a-f]* "hello"' "$out" || fail 'print $body'
grep -qx '\$3 = "tag-2\(\\000\)*"' "$out" || fail 'async print tag'
grep -qx '\$4 = 42' "$out" || fail 'async print n + 40'
grep -qx '        err = -5' "$out" || fail "bt full: err"
grep -q 'No symbol "body"' "$out" && fail "a name was not found"

# 2. Stopped in leaf under amain's middle: the worker task waits in its
# own leaf, three frames deep.
check_chains() {
    grep -qx "asyncrt: 2 tasks" "$out" || fail "$1: async tasks count"
    grep -qx "  #1 main 'amain' (0x[0-9a-f]*): running, in 'leaf' at $base:$leaf_return" "$out" ||
        fail "$1: async tasks, main task"
    grep -qx "  #2 task 'worker' (0x[0-9a-f]*): state 1, waiting at $base:$worker_await" "$out" ||
        fail "$1: async tasks, worker"
    grep -A2 "task 'worker'" "$out" | tail -n 2 >"$work/chain"
    printf "      in 'middle': state 2, waiting at %s:%s\n      in 'leaf': state 2, waiting at %s:%s\n" \
        "$base" "$middle_await" "$base" "$leaf_sleep" | diff - "$work/chain" >/dev/null ||
        fail "$1: async tasks, the worker's awaits"
    # async bt: the running chain, innermost first.
    grep -A2 "^#0  leaf at" "$out" | sed 's/ (frame .*//' >"$work/bt"
    printf "#0  leaf at %s:%s\n#1  middle at %s:%s\n#2  amain at %s:%s\n" \
        "$base" "$leaf_return" "$base" "$middle_await" "$base" "$amain_await" |
        diff - "$work/bt" >/dev/null || fail "$1: async bt"
    # async bt 2: the suspended worker, down to the runtime's sleep.
    grep -A3 "^#0  async_sleep (frame" "$out" | sed 's/ (frame .*//' >"$work/bt2"
    printf "#0  async_sleep\n#1  leaf (state 2) at %s:%s\n#2  middle (state 2) at %s:%s\n#3  worker (state 1) at %s:%s\n" \
        "$base" "$leaf_sleep" "$base" "$middle_await" "$base" "$worker_await" |
        diff - "$work/bt2" >/dev/null || fail "$1: async bt 2"
}
"${G[@]}" -ex "break $base:$leaf_return" -ex run \
    -ex 'async tasks' -ex 'async bt' -ex 'async bt 2' -ex 'info locals' \
    -ex "gcore $work/core" "$prog" >"$out" 2>&1 || fail "gdb failed"
check_chains live
grep -qx 'squared = 9' "$out" || fail "info locals in leaf"
[[ -s $work/core ]] || fail "gcore wrote no core file"

# 3. The same from the core file.
"${G[@]}" -ex 'async tasks' -ex 'async bt' -ex 'async bt 2' -ex 'up' \
    -ex 'info locals' "$prog" "$work/core" >"$out" 2>&1 || fail "gdb failed on the core"
check_chains core
grep -qx 'body = 0x[0-9a-f]* "hello"' "$out" || fail "core: info locals in middle"

# 4. A breakpoint on any line of the source resolves to one location
# (generated helpers carry #line directives to the generated file).
args=()
for ((l = 1; l <= $(wc -l <"$src"); l++)); do args+=(-ex "break $base:$l"); done
"$gdb" -q -batch -nx "${args[@]}" "$prog" >"$out" 2>&1 || true
grep -q "locations)" "$out" && fail "a breakpoint resolved to several locations"
grep -q "Breakpoint [0-9]* at .*$base, line $after_await\." "$out" ||
    fail "no breakpoint on line $after_await"
echo PASS
