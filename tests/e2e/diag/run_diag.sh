#!/usr/bin/env bash
# run_diag.sh -- type mistakes around async calls are reported at the
# user's line in clang's words, and the generated code does not repeat
# them.
#
#   run_diag.sh --asyncc PATH --include DIR --gcc GCC --clang CLANG
#               --src FILE.c
#
# Runs asyncc from the directory of FILE.c on its base name and checks:
#  1. stderr equals FILE.err byte for byte; the exit status is 1 when it
#     reports an error (and no output file is written), else 0;
#  2. its diagnostics are clang's on the original file: the lines
#     "FILE.c:L:C: warning|error|note: ..." of
#     `clang -fsyntax-only -D__ASYNCC__=1` are, without repeats, exactly
#     asyncc's (so the expected file cannot drift from clang's wording),
#     but for those FILE.compiler names (see 3);
#  3. when it succeeds, the output compiled with gcc and with clang
#     (-Wall -Wextra -c) prints nothing -- no message about generated
#     code (NAME__init, _f->, the output file) nor a repeat of asyncc's --
#     except, with FILE.compiler present, a message at the user's line
#     that it names (a pattern: warnings in plain code, which asyncc
#     leaves to the compiler), which each compiler must print;
#  4. with -Werror after --, a program that drew warnings is refused
#     (status 1, "[-Werror,-W...]", no output).
# Prints PASS or FAIL and the reason; exits 0 on PASS, 77 (skip) when
# a compiler is missing.
set -euo pipefail

asyncc='' include='' gcc='' clang='' src=''
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --include) include=${2:?}; shift 2 ;;
    --gcc) gcc=${2:?}; shift 2 ;;
    --clang) clang=${2:?}; shift 2 ;;
    --src) src=${2:?}; shift 2 ;;
    *) echo "usage: $0 --asyncc PATH --include DIR --gcc GCC" \
           "--clang CLANG --src FILE.c" >&2; exit 2 ;;
    esac
done

name=$(basename "$src" .c)
base=${src%.c}
pass() { echo "PASS diag.$name: $*"; exit 0; }
fail() { echo "FAIL diag.$name: $*"; exit 1; }

[[ -x $asyncc ]] || fail "asyncc not found at $asyncc"
[[ -f $base.err ]] || fail "no expected diagnostics $base.err"
for cc in "$gcc" "$clang"; do
    if [[ -z $cc ]] || ! command -v "$cc" >/dev/null; then
        echo "SKIP diag.$name: gcc and clang are both needed"
        exit 77
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-diag.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dir=$(dirname "$src")
file=$(basename "$src")
flags=("-I$include" -std=c11)

# 1. asyncc's report.
status=0
(cd "$dir" && "$asyncc" "$file" -o "$tmp/out.c" -- "${flags[@]}") \
    >"$tmp/stdout" 2>"$tmp/stderr" || status=$?
want=0
grep -q '^[^ ]*: error: ' "$base.err" && want=1
if [[ $status != "$want" ]]; then
    cat "$tmp/stderr"
    fail "exit status $status, expected $want"
fi
diff -u --label expected --label actual "$base.err" "$tmp/stderr" ||
    fail "stderr differs from $name.err (diff above)"
[[ -s $tmp/stdout ]] && fail "unexpected output on stdout"

# 2. The same messages as clang's on the untranspiled file.
pick() {
    { grep -E "^$file:[0-9]+:[0-9]+: (warning|error|note): " || true; } |
        sort -u
}
(cd "$dir" && "$clang" -fsyntax-only -fno-caret-diagnostics \
    -fno-color-diagnostics -D__ASYNCC__=1 "${flags[@]}" "$file") \
    >/dev/null 2>"$tmp/clang" || true
pick <"$tmp/clang" >"$tmp/clang.lines"
if [[ -f $base.compiler ]]; then # what asyncc leaves to the compiler
    grep -v -- "$(<"$base.compiler")" "$tmp/clang.lines" >"$tmp/kept" || true
    mv "$tmp/kept" "$tmp/clang.lines"
fi
pick <"$tmp/stderr" >"$tmp/asyncc.lines"
diff -u --label clang --label asyncc "$tmp/clang.lines" "$tmp/asyncc.lines" ||
    fail "asyncc's messages are not clang's on $file (diff above)"

if [[ $want == 1 ]]; then
    [[ -e $tmp/out.c ]] && fail "asyncc wrote an output file despite errors"
    pass "refused with clang's errors at the user's lines"
fi
[[ -s $tmp/out.c ]] || fail "asyncc succeeded but wrote no output file"

# 3. The compilers do not repeat it at generated code.
for cc in "$gcc" "$clang"; do
    (cd "$tmp" && "$cc" -Wall -Wextra -fno-diagnostics-color -I"$include" \
        -I"$dir" -c out.c -o out.o) >"$tmp/cc.out" 2>&1 ||
        { cat "$tmp/cc.out"; fail "$cc cannot compile the output"; }
    if [[ -f $base.compiler ]]; then
        pattern=$(<"$base.compiler")
        grep -q -- "$pattern" "$tmp/cc.out" ||
            { cat "$tmp/cc.out"; fail "$cc did not report '$pattern'"; }
        grep -v -- "$pattern" "$tmp/cc.out" |
            grep -E '__init|__resume|_f->|out\.c|\[-W' && \
            fail "$cc reported more than '$pattern' (above)"
    elif [[ -s $tmp/cc.out ]]; then
        cat "$tmp/cc.out"
        fail "$cc repeated or added messages (above)"
    fi
done

# 4. -Werror makes asyncc's warnings errors.
if grep -q ': warning: ' "$base.err"; then
    rm -f "$tmp/out.c"
    status=0
    (cd "$dir" && "$asyncc" "$file" -o "$tmp/out.c" -- "${flags[@]}" \
        -Werror) >/dev/null 2>"$tmp/werror" || status=$?
    [[ $status == 1 ]] || fail "with -Werror: exit status $status, expected 1"
    grep -q 'error: .*\[-Werror,-W' "$tmp/werror" ||
        { cat "$tmp/werror"; fail "with -Werror: no [-Werror,-W...] error"; }
    [[ -e $tmp/out.c ]] && fail "with -Werror: an output file was written"
fi
pass "reported at the user's lines, not repeated by gcc or clang"
