#!/usr/bin/env bash
# run_memcheck.sh VALGRIND PROGRAM -- one runtime unit test under
# valgrind's memcheck.  Fails on any memcheck error: an invalid access,
# a use of uninitialised memory, a leak of kind definite, indirect or
# possible ("still reachable" is left out: glibc keeps some buffers,
# strerror's among them, until exit).
#
# The tests check the order in which sleeps 10 ms apart end, and
# valgrind runs code 20-50 times slower, most of all the first time it
# meets it; so a test that fails with no memcheck error runs once more,
# and fails only if it fails again.  A memcheck error never gets a second
# run.
set -uo pipefail

[[ $# == 2 ]] || { echo "usage: $0 VALGRIND PROGRAM" >&2; exit 2; }
valgrind=$1 program=$2

for attempt in 1 2; do
    status=0
    "$valgrind" -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect,possible \
        --track-origins=yes "$program" || status=$?
    case $status in
    0) exit 0 ;;
    99) echo "FAIL: memcheck found errors (report above)"; exit 1 ;;
    esac
    [[ $attempt == 1 ]] && echo "-- failed (status $status) with no" \
        "memcheck error: running it once more"
done
echo "FAIL: status $status on both runs, with no memcheck error"
exit 1
