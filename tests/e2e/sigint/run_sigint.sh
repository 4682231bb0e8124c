#!/usr/bin/env bash
# run_sigint.sh -- one end-to-end run of a program that is stopped by a
# signal: transpile it with asyncc, compile the output, start it, send
# signals when it prints given lines, and check that it exits by itself,
# with status 0, nothing on stderr and exactly the expected stdout.
#
#   run_sigint.sh --asyncc PATH --include DIR --lib PATH --cc CC
#                 --src PROG.c --expected PROG.out
#                 --step PREFIX=SIGNAL [--step PREFIX=SIGNAL...]
#                 [--quiet S=SIGNAL] [--sigint-ignored]
#                 [--valgrind] [--sanitize[=LIST]] [--timeout S]
#
#   --step         wait until the program prints a line that starts with
#                  PREFIX, then send it SIGNAL (INT, TERM...); the steps
#                  run in the order given, each waiting for new output
#   --quiet        a step that waits S seconds, during which the program
#                  must keep running and print nothing, then sends SIGNAL:
#                  the check that the previous signal did nothing
#   --sigint-ignored
#                  start the program with SIGINT ignored, as a shell
#                  starts a background job when job control is off
#   --valgrind     run the program under valgrind (memory errors, leaks)
#   --sanitize[=LIST]
#                  build with these sanitizers (default address,undefined)
#   --timeout      seconds the program may take to exit after the last
#                  signal (default 10); it is killed and the test fails
#                  after that
#
# Each PREFIX must appear within 60 s (valgrind starts slowly).  Prints
# one line, PASS or FAIL and the reason; exits 0 on PASS.
set -euo pipefail

usage() {
    echo "usage: $0 --asyncc PATH --include DIR --lib PATH --cc CC" \
        "--src FILE.c --expected FILE.out --step PREFIX=SIGNAL..." \
        "[--quiet S=SIGNAL] [--sigint-ignored] [--valgrind] [--sanitize[=LIST]]" \
        "[--timeout S]" >&2
    exit 2
}

asyncc='' include='' lib='' cc='' src='' expected=''
valgrind=0 sanitizers='' timeout_seconds=10 sigint_ignored=0
steps=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --include) include=${2:?}; shift 2 ;;
    --lib) lib=${2:?}; shift 2 ;;
    --cc) cc=${2:?}; shift 2 ;;
    --src) src=${2:?}; shift 2 ;;
    --expected) expected=${2:?}; shift 2 ;;
    --step) steps+=("line:${2:?}"); shift 2 ;;
    --quiet) steps+=("quiet:${2:?}"); shift 2 ;;
    --sigint-ignored) sigint_ignored=1; shift ;;
    --valgrind) valgrind=1; shift ;;
    --sanitize) sanitizers=address,undefined; shift ;;
    --sanitize=*) sanitizers=${1#--sanitize=}; shift ;;
    --timeout) timeout_seconds=${2:?}; shift 2 ;;
    *) usage ;;
    esac
done
[[ -n $asyncc && -n $include && -n $lib && -n $cc && -n $src &&
    -n $expected && ${#steps[@]} -gt 0 ]] || usage

name=$(basename "$src" .c)
signals=''
[[ $sigint_ignored == 1 ]] && signals='INT ignored:'
for s in "${steps[@]}"; do
    signals+="${signals:+ }${s##*=}"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-sigint.XXXXXX")
pid=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

pass() {
    echo "PASS $name ($signals): $*"
    exit 0
}

fail() {
    echo "--- stdout:"
    cat "$tmp/out" 2>/dev/null || true
    echo "--- stderr:"
    cat "$tmp/err" 2>/dev/null || true
    echo "FAIL $name ($signals): $*"
    exit 1
}

[[ -x $asyncc ]] || fail "asyncc not found at $asyncc"
[[ -f $lib ]] || fail "runtime library not found at $lib"
[[ -f $src ]] || fail "no source file $src"
[[ -f $expected ]] || fail "no expected output $expected"

# 1. Transpile and compile, as run_sample.sh does.
if ! "$asyncc" "$src" -o "$tmp/$name.async.c" -- "-I$include" -std=c11 \
    2>"$tmp/asyncc.err"; then
    cat "$tmp/asyncc.err"
    fail "asyncc failed"
fi
# DWARF 4: Debian 12's valgrind cannot read the DWARF 5 clang 14 writes.
cflags=(-std=c11 -Wall -Wextra -Werror -g -gdwarf-4)
if [[ -n $sanitizers ]]; then
    source "$(dirname "${BASH_SOURCE[0]}")/../sanitize.sh"
    sanitize_setup "$sanitizers"
    cflags+=("${sanitize_cflags[@]}")
fi
if ! "$cc" "${cflags[@]}" "-I$include" "$tmp/$name.async.c" "$lib" \
    -o "$tmp/prog" 2>"$tmp/cc.err"; then
    cat "$tmp/cc.err"
    fail "$cc could not compile asyncc's output"
fi

# 2. Start it.  A script's background commands ignore SIGINT unless job
# control is on; with it the program gets the default disposition, as a
# program started from an interactive shell does.
run=()
if [[ $valgrind == 1 ]]; then
    run+=(valgrind --error-exitcode=99 --leak-check=full
        "--errors-for-leak-kinds=definite,indirect" --track-origins=yes -q)
fi
# The output files exist before the first poll below reads them: the
# background job may not have opened them yet.
: >"$tmp/out"
: >"$tmp/err"
[[ $sigint_ignored == 1 ]] || set -m
"${run[@]}" "$tmp/prog" >"$tmp/out" 2>"$tmp/err" &
pid=$!
set +m

# 3. The steps: wait for a line (new since the previous step) or stay
# quiet for a while, then signal.
seen=0
for s in "${steps[@]}"; do
    kind=${s%%:*}
    arg=${s#*:}
    arg=${arg%=*}
    sig=${s##*=}
    if [[ $kind == quiet ]]; then
        sleep "$arg"
        kill -0 "$pid" 2>/dev/null || fail "exited within $arg s"
        [[ $(wc -l <"$tmp/out") == "$seen" ]] ||
            fail "printed more within $arg s"
    else
        found=0
        for _ in $(seq 1 1200); do
            n=$(awk -v p="$arg" -v s="$seen" \
                'NR > s && index($0, p) == 1 { print NR; exit }' "$tmp/out")
            if [[ -n $n ]]; then
                seen=$n
                found=1
                break
            fi
            kill -0 "$pid" 2>/dev/null || fail "exited before printing '$arg'"
            sleep 0.05
        done
        [[ $found == 1 ]] || fail "no line starting with '$arg' within 60 s"
    fi
    kill -s "$sig" "$pid" || fail "could not send SIG$sig"
done

# 4. It must exit by itself, soon.
start=$EPOCHREALTIME
limit=$((timeout_seconds * 20))
for ((i = 0; i < limit; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=''
    fail "still running $timeout_seconds s after the last signal (killed)"
fi
status=0
wait "$pid" || status=$?
pid=''
elapsed=$(awk -v s="$start" -v e="$EPOCHREALTIME" \
    'BEGIN { printf "%.2f", e - s }')

if [[ $status != 0 ]]; then
    if [[ $status == 99 && $valgrind == 1 ]]; then
        fail "valgrind found errors (report above)"
    elif [[ $status -gt 128 ]]; then
        fail "killed by signal $((status - 128))"
    fi
    fail "exit status $status"
fi
# Valgrind's own notes ("--PID-- WARNING: unhandled syscall" for the
# epoll_pwait2 that the runtime falls back from) are not the program's:
# its errors come back as exit status 99.
grep -Ev '^--[0-9]+-- ' "$tmp/err" >"$tmp/err.program" || true
[[ -s $tmp/err.program ]] && fail "the program wrote to stderr"

# 5. Compare.
if ! diff -u --label expected --label actual "$expected" "$tmp/out"; then
    fail "output differs from $(basename "$expected") (diff above)"
fi

how=$cc
[[ -n $sanitizers ]] && how+=", -fsanitize=$sanitizers"
[[ $valgrind == 1 ]] && how+=", valgrind"
pass "output matches ($how, exited ${elapsed} s after the last signal)"
