#!/usr/bin/env bash
# run_quit_dump.sh PROGRAM -- starts PROGRAM, waits for "ready", sends
# SIGQUIT and checks that stderr shows each task and where it waits,
# then sends SIGUSR1 and checks that the program ends normally.
set -euo pipefail
# Without job control, bash starts background jobs with SIGQUIT ignored,
# and asyncrt leaves an ignored SIGQUIT alone.
set -m
prog=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$prog" >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do
    grep -q ready "$dir/out" && break
    sleep 0.05
done
kill -QUIT "$pid"
for _ in $(seq 100); do
    grep -q "napper" "$dir/err" && break
    sleep 0.05
done
kill -USR1 "$pid"
status=0
wait "$pid" || status=$?
fail() { echo "FAIL: $1"; echo "--- stdout"; cat "$dir/out"; echo "--- stderr"; cat "$dir/err"; exit 1; }
[ "$status" -eq 0 ] || fail "exit status $status"
grep -qx "done" "$dir/out" || fail "the program did not go on after SIGQUIT"
grep -qx "asyncrt: 2 tasks" "$dir/err" || fail "no task count"
grep -qx "  main 'amain': state 2, waiting at quit_dump.c:17" "$dir/err" ||
    fail "main task line"
grep -qx "  task 'napper': state 1, waiting at quit_dump.c:10" "$dir/err" ||
    fail "spawned task line"
echo PASS
