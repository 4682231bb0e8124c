#!/usr/bin/env bash
# run_libfuzzer.sh --fuzzer PATH --source DIR --work DIR [--seconds N]
#                  [-- LIBFUZZER_FLAGS...]
#
# Runs asyncc_fuzz for N seconds (default 60) from a seed corpus of the
# repository's C programs (tests/corpus/run, samples, tests/e2e/errors
# and programs, tests/fuzz/regressions), some generated ones, and the
# inputs it found in earlier runs (WORK/found, kept, so that runs build
# on each other).
# Flags after -- go to libFuzzer (-jobs=2, -max_len=...).  A crash, leak
# or sanitizer report is written to WORK/ as crash-<sha1> (or leak-,
# timeout-, oom-) and fails the run; reproduce it with
# `asyncc_fuzz WORK/crash-<sha1>` (ASYNCC_FUZZ_DIAG=1 shows the
# diagnostics), and add it to tests/fuzz/regressions once fixed.
set -euo pipefail

fuzzer='' source='' work='' seconds=60
while (($#)); do
    case $1 in
    --fuzzer) fuzzer=${2:?}; shift 2 ;;
    --source) source=${2:?}; shift 2 ;;
    --work) work=${2:?}; shift 2 ;;
    --seconds) seconds=${2:?}; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 --fuzzer PATH --source DIR --work DIR" \
           "[--seconds N] [-- FLAGS...]" >&2; exit 2 ;;
    esac
done
[[ -n $fuzzer && -n $source && -n $work ]] || { echo "missing arguments" >&2; exit 2; }
[[ -x $fuzzer ]] || { echo "no fuzzer at $fuzzer" >&2; exit 2; }

mkdir -p "$work/found"
rm -rf "$work/seeds"
mkdir -p "$work/seeds"
for f in "$source"/tests/corpus/run/*.c "$source"/samples/*.c \
    "$source"/tests/e2e/errors/*.c "$source"/tests/e2e/programs/*.c \
    "$source"/tests/fuzz/regressions/*; do
    [[ -f $f ]] || continue
    rel=${f#"$source"/}
    cp "$f" "$work/seeds/${rel//\//_}"
done

# A few generated programs (gen_program.py) too: deeper nests of
# statements around awaits than the hand-written ones, to mutate.
if command -v python3 >/dev/null; then
    for seed in $(seq 1 40); do
        python3 "$source/tests/fuzz/gen_program.py" "$seed" \
            -o "$work/seeds/generated_$seed.c"
        (($(stat -c %s "$work/seeds/generated_$seed.c") <= 12000)) ||
            rm "$work/seeds/generated_$seed.c"
    done
fi

# Leaks are checked (libFuzzer's default); -timeout flags an input that
# takes over 20 s; -max_len leaves room above the largest seed.  A fixed
# -seed makes the test suite's runs try the same inputs in the same
# order, so a failure there reproduces (a later -seed in the arguments
# wins, for exploring).
exec "$fuzzer" -seed=1 -max_total_time="$seconds" -timeout=20 -max_len=16384 \
    -dict="$source/tests/fuzz/asyncc.dict" -print_final_stats=1 \
    -artifact_prefix="$work/" "$@" "$work/found" "$work/seeds"
