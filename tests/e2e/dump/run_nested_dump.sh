#!/usr/bin/env bash
# run_nested_dump.sh PROGRAM SOURCE -- nested_dump.c: async_dump_tasks
# (on stdout) and the dump on SIGUSR2 that async_dump_on_signal asked for
# (on stderr, with ASYNCRT_DEBUG=0) show each task's awaits down to the
# innermost one, and the program goes on.
set -euo pipefail
prog=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mark() { grep -n "MARK $1\b" "$src" | cut -d: -f1; }
f=$(basename "$src")
ASYNCRT_DEBUG=0 "$prog" >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do
    grep -q ready "$dir/out" && break
    sleep 0.05
done
kill -USR2 "$pid"
for _ in $(seq 100); do
    grep -q "in 'inner'" "$dir/err" && break
    sleep 0.05
done
kill -USR1 "$pid"
status=0
wait "$pid" || status=$?
fail() { echo "FAIL: $1"; echo "--- stdout"; cat "$dir/out"; echo "--- stderr"; cat "$dir/err"; exit 1; }
[ "$status" -eq 0 ] || fail "exit status $status"
grep -qx "done $(kill -l USR1)" "$dir/out" || fail "the program did not go on"
outer_lines=$(printf "  task 'outer': state 1, waiting at %s:%s\n    in 'inner': state 1, waiting at %s:%s" \
    "$f" "$(mark outer_await)" "$f" "$(mark inner_sleep)")
# The API's dump, from inside the main task.
printf "asyncrt: 2 tasks\n  main 'amain': running (this dump is its call)\n%s\ndump returned 2\n" \
    "$outer_lines" | diff - <(sed -n 1,5p "$dir/out") || fail "async_dump_tasks"
# The signal's dump, both tasks suspended.
printf "asyncrt: 2 tasks\n  main 'amain': state 2, waiting at %s:%s\n    in 'waiter': state 1, waiting at %s:%s\n%s\n" \
    "$f" "$(mark amain_await)" "$f" "$(mark waiter_wait)" "$outer_lines" |
    diff - "$dir/err" || fail "the SIGUSR2 dump"
echo PASS
