#!/usr/bin/env bash
# run_deps.sh -- asyncc in a build: depfiles (-MD, -MF, -MT) and flags
# from a compilation database (-p).
#
#   run_deps.sh --asyncc PATH --include DIR --lib LIBASYNCRT --cc CC
#               --srcdir DIR [--sanitize=LIST]
#
# --sanitize=LIST builds the programs with -fsanitize=LIST (needed when
# the runtime library is instrumented).
# Works in a temporary copy of DIR (prog.c, broken.c, inc/cfg.h), with
# the header moved to "my inc/" so the depfile must escape a space.
# Prints PASS or FAIL lines; exits 0 when every check passes.
set -euo pipefail

asyncc='' include='' lib='' cc='' srcdir='' sanitize_cflags=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --include) include=${2:?}; shift 2 ;;
    --lib) lib=${2:?}; shift 2 ;;
    --cc) cc=${2:?}; shift 2 ;;
    --srcdir) srcdir=${2:?}; shift 2 ;;
    --sanitize=*)
        source "$(dirname "${BASH_SOURCE[0]}")/../sanitize.sh"
        sanitize_setup "${1#--sanitize=}"
        shift
        ;;
    *) echo "usage: $0 --asyncc PATH --include DIR --lib LIB --cc CC" \
        "--srcdir DIR [--sanitize=LIST]" >&2; exit 2 ;;
    esac
done

failures=0
pass() { echo "PASS deps: $*"; }
fail() {
    echo "FAIL deps: $*"
    failures=$((failures + 1))
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-deps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/my inc" "$tmp/build"
cp "$srcdir/prog.c" "$srcdir/broken.c" "$tmp/"
cp "$srcdir/inc/cfg.h" "$tmp/my inc/"
cd "$tmp"

# Runs asyncc; stdout and stderr go to files, the status to $status.
run() {
    status=0
    "$asyncc" "$@" >stdout 2>stderr || status=$?
}

# Compiles out.c and checks what it prints.
compile_and_run() { # <want output> <flags>...
    local want=$1
    shift
    if ! "$cc" -std=c11 "${sanitize_cflags[@]}" -I"$include" "$@" out.c \
        "$lib" -o prog 2>cc.err; then
        cat cc.err
        return 1
    fi
    [[ $(./prog) == "$want" ]]
}

# 1. -MD -MF: the input, async.h, the local header (escaped) and system
# headers, one per continuation line.
run prog.c -o out.c -MD -MF out.d -- "-Imy inc" -DNEEDED=3
if [[ $status != 0 ]]; then
    cat stderr
    fail "-MD -MF: exit status $status"
elif [[ ! -f out.d ]]; then
    fail "-MD -MF: no depfile"
else
    # The part outside system directories, without line continuations.
    grep -v '^  /' out.d | sed 's/ \\$//' >deps.local
    if ! diff -u --label expected --label actual "$srcdir/expected.deps" \
        deps.local; then
        fail "-MD -MF: the depfile's local part differs (diff above)"
    elif ! grep -qxF "  $include/async.h \\" out.d; then
        fail "-MD -MF: async.h is not listed"
    elif ! grep -q '^  /usr/.*/stdio\.h' out.d; then
        fail "-MD -MF: system headers are not listed"
    elif [[ $(grep -vc ' \\$' out.d) != 1 ]] ||
        [[ $(tail -n 1 out.d) == *'\' ]]; then
        fail "-MD -MF: every line but the last must end in a backslash"
    else
        pass "-MD -MF lists the input and every header"
    fi
fi

# 2. -MD alone: OUTPUT.d; -MT names the target (escaped).
run prog.c -o out.c -MD -MT 'my $target' -- "-Imy inc" -DNEEDED=3
if [[ $status == 0 && -f out.c.d ]] &&
    [[ $(head -n 1 out.c.d) == 'my\ $$target: prog.c \' ]]; then
    pass "-MD writes OUTPUT.d, -MT sets the target"
else
    cat stderr
    fail "-MD -MT: status $status, first line: $(head -n 1 out.c.d 2>&1)"
fi

# 3. Errors: exit 1 and the old depfile (and output) left as they were.
cp out.d old.d
cp out.c old.c
run broken.c -o out.c -MF out.d -- "-Imy inc"
if [[ $status == 1 ]] && cmp -s out.d old.d && cmp -s out.c old.c; then
    pass "a failed run leaves the old depfile as it was"
else
    fail "failed run: status $status, or the depfile or output changed"
fi

# 4. -p with "command": relative -I, a quoted -D, dependency flags and
# -o that must be dropped.
cat >build/compile_commands.json <<JSON
[
  {
    "directory": "$tmp/build",
    "file": "../prog.c",
    "command": "cc -std=c11 -MD -MF prog.d -MT prog.o -o prog.o -c '-I../my inc' -DNEEDED=\"42\" ../prog.c"
  },
  {
    "directory": "$tmp",
    "file": "broken.c",
    "arguments": ["cc", "-c", "broken.c"]
  }
]
JSON
rm -f out.c
run -p build prog.c -o out.c
if [[ $status == 0 ]] && compile_and_run "hi 42" "-Imy inc" -DNEEDED=42; then
    pass "-p with \"command\" supplies -I and -D"
else
    cat stderr
    fail "-p with \"command\": status $status"
fi

# 5. Flags after -- come after the database's: -UNEEDED wins.
run -p build prog.c -o out.c -- -UNEEDED
if [[ $status == 1 ]] && grep -q 'NEEDED is not defined' stderr; then
    pass "flags after -- follow the database's"
else
    fail "-p ... -- -UNEEDED: status $status, expected 1"
fi

# 6. -p with "arguments" and a relative "file", from another directory:
# the input is matched by its absolute path.
cat >build/compile_commands.json <<JSON
[{"directory": "$tmp", "file": "prog.c",
  "arguments": ["/usr/bin/cc", "-I", "my inc", "-DNEEDED=5", "-c",
                "prog.c"]}]
JSON
rm -f out.c
mkdir sub
(cd sub && "$asyncc" -p ../build ../prog.c -o ../out.c -MD) >stdout \
    2>stderr && status=0 || status=$?
if [[ $status == 0 ]] && compile_and_run "hi 5" "-Imy inc" -DNEEDED=5 &&
    grep -qxF '  '"$tmp"'/my\ inc/cfg.h' out.c.d; then
    pass "-p with \"arguments\" makes relative -I absolute"
else
    cat stderr
    fail "-p with \"arguments\": status $status"
fi

# Usage errors: exit 2, exactly this message, no output written.
expect_error() { # <name> <message> <args>...
    local name=$1 msg=$2
    shift 2
    rm -f out.c
    run "$@"
    if [[ $status == 2 && $(cat stderr) == "$msg" && ! -e out.c &&
        ! -s stdout ]]; then
        pass "$name"
    else
        cat stderr
        fail "$name: status $status, or other message, or output written"
    fi
}
expect_error "missing database" \
    "asyncc: error: cannot read 'nodb/compile_commands.json': No such file or directory" \
    -p nodb prog.c -o out.c
expect_error "no entry" \
    "asyncc: error: no entry for 'broken.c' in build/compile_commands.json" \
    -p build broken.c -o out.c
echo '[{"directory": "/", "file": "prog.c", ' >bad.json
mkdir badb && mv bad.json badb/compile_commands.json
expect_error "malformed database" \
    "asyncc: error: badb/compile_commands.json: invalid JSON: line 2, column 1: expected a string key" \
    -p badb prog.c -o out.c
expect_error "-p without a directory" \
    "asyncc: error: -p needs a build directory" prog.c -p
expect_error "-MD to standard output" \
    "asyncc: error: -MD with standard output needs -MF FILE and -MT TARGET" \
    prog.c -MD

# Outputs that are not regular files: a pipe is written into and stays a
# pipe (as /dev/null must stay a device), and a symbolic link keeps
# pointing at the file it names, which gets the output.
"$asyncc" prog.c -P -o plain.c -- "-Imy inc" -DNEEDED=3
mkfifo pipe.c
cat pipe.c >piped.c &
reader=$!
if "$asyncc" prog.c -P -o pipe.c -- "-Imy inc" -DNEEDED=3 && wait "$reader" &&
    [[ -p pipe.c ]] && cmp -s piped.c plain.c; then
    pass "an output pipe is written into, not replaced"
else
    fail "an output pipe: $(ls -l pipe.c)"
fi
mkdir linked
ln -s linked/target.c link.c
if "$asyncc" prog.c -P -o link.c -- "-Imy inc" -DNEEDED=3 && [[ -L link.c ]] &&
    cmp -s linked/target.c plain.c; then
    pass "an output symbolic link is followed"
else
    fail "an output symbolic link: $(ls -l link.c linked)"
fi

[[ $failures == 0 ]]
