#!/usr/bin/env bash
# run_dot.sh -- checks that Graphviz draws asyncc --dot's graph of a
# program, and that the drawing has exactly the expected nodes and edges.
#
#   run_dot.sh --asyncc PATH --dot PATH --src FILE.c --expected FILE.graph
#              [--include DIR]
#
# Runs asyncc --dot from the directory of FILE.c on its base name, renders
# the digraph with `dot -Tsvg` in one go, and reads the clusters, nodes
# and edges back from the SVG (their <title> elements), one per line
# ("cluster NAME", "node NAME", "edge FROM -> TO"), sorted; they must
# equal FILE.graph.  Prints one line, PASS or FAIL and the reason; exits
# 0 on PASS.
set -euo pipefail

usage() {
    echo "usage: $0 --asyncc PATH --dot PATH --src FILE.c" \
        "--expected FILE.graph [--include DIR]" >&2
    exit 2
}

asyncc='' dot='' src='' expected='' include=''
while [[ $# -gt 0 ]]; do
    case $1 in
    --asyncc) asyncc=${2:?}; shift 2 ;;
    --dot) dot=${2:?}; shift 2 ;;
    --src) src=${2:?}; shift 2 ;;
    --expected) expected=${2:?}; shift 2 ;;
    --include) include=${2:?}; shift 2 ;;
    *) usage ;;
    esac
done
[[ -n $asyncc && -n $dot && -n $src && -n $expected ]] || usage

name=$(basename "$src" .c)
pass() {
    echo "PASS inspect.$name.svg: $*"
    exit 0
}
fail() {
    echo "FAIL inspect.$name.svg: $*"
    exit 1
}

# asyncc runs in the program's directory
asyncc=$(cd "$(dirname "$asyncc")" && pwd)/$(basename "$asyncc")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-dot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

args=(--dot "$(basename "$src")")
if [[ -n $include ]]; then
    args+=(-- "-I$include" -std=c11)
fi
(cd "$(dirname "$src")" && "$asyncc" "${args[@]}") >"$tmp/graph.dot" \
    2>"$tmp/stderr" || {
    cat "$tmp/stderr"
    fail "asyncc --dot failed"
}
"$dot" -Tsvg "$tmp/graph.dot" -o "$tmp/graph.svg" 2>"$tmp/dot.err" || {
    cat "$tmp/dot.err"
    fail "dot -Tsvg cannot render the graph"
}
if [[ -s "$tmp/dot.err" ]]; then
    cat "$tmp/dot.err"
    fail "dot -Tsvg warned about the graph"
fi

# <g id="node3" class="node"> is followed by <title>NAME</title>.
awk '
    /class="(node|edge|cluster)"/ {
        match($0, /class="[a-z]+"/)
        kind = substr($0, RSTART + 7, RLENGTH - 8)
        next
    }
    kind != "" && /<title>/ {
        t = $0
        sub(/.*<title>/, "", t)
        sub(/<\/title>.*/, "", t)
        gsub(/&#45;&gt;/, " -> ", t)
        gsub(/&#45;/, "-", t)
        gsub(/&gt;/, ">", t)
        gsub(/&lt;/, "<", t)
        gsub(/&quot;/, "\"", t)
        gsub(/&amp;/, "\\&", t)
        print kind " " t
        kind = ""
    }
' "$tmp/graph.svg" | LC_ALL=C sort >"$tmp/actual"
if ! diff -u --label expected --label actual "$expected" "$tmp/actual"; then
    fail "the drawing differs from $(basename "$expected") (diff above)"
fi
pass "dot draws the expected nodes and edges"
