#!/usr/bin/env bash
# run_http.sh -- end-to-end test of samples/http.c with real clients.
#
#   run_http.sh [--loops N] SERVER [WRAPPER...]
#
# Starts SERVER on an ephemeral port (under WRAPPER, e.g. valgrind, when
# given; on N loops with --loops), reads the port from its "listening on
# PORT" line, then checks with curl: GET / (200 and the page), five
# concurrent GET /sleep?ms=200 finishing in well under the 1 s they
# would take one after the other, /hash against the FNV-1a of the page
# computed here, a 404, 400 for a malformed request line, a malformed
# header and an
# oversized header (raw requests through bash's /dev/tcp), keep-alive
# (two URLs in one curl run share one connection; "Connection: close"
# is honoured), and, when wrk is installed, 2 s of load on 20
# connections without socket errors.  Finally SIGTERM, with a request
# in flight: the server must exit 0 at once and print "served N
# requests" (with --loops N, each loop's share after it: every loop must
# have served some of wrk's 20 connections, which the kernel spreads
# across the loops' sockets by a hash of their ports).
#
# Every client runs under a time limit and the server is killed on every
# way out.  Exits 0 on success, 1 on failure, 77 (skip) without curl.
set -uo pipefail

usage() { echo "usage: $0 [--loops N] SERVER [WRAPPER...]" >&2; exit 2; }
loops=1
if [[ ${1:-} == --loops ]]; then
    [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage
    loops=$2
    shift 2
fi
[[ $# -ge 1 ]] || usage
server=$1
shift
server_args=()
[[ $loops == 1 ]] || server_args=(--loops "$loops")

if ! command -v curl >/dev/null; then
    echo "SKIP e2e.http: curl not found"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-http.XXXXXX")
pid=''
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "FAIL e2e.http: $*"
    echo "--- server stdout:"
    cat "$tmp/out"
    echo "--- server stderr:"
    cat "$tmp/err"
    exit 1
}

ok() { echo "ok: $*"; }

# The server, killed after 80 s whatever happens.  --foreground: the
# SIGTERM sent to timeout reaches the server once, not a second time
# through the process group, possibly after async_run has returned and
# the signal has its default action again.
timeout --foreground -s KILL 80 "$@" "$server" "${server_args[@]}" 0 \
    >"$tmp/out" 2>"$tmp/err" &
pid=$!

port=''
for _ in $(seq 1 200); do
    port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$tmp/out")
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || fail "the server exited before listening"
    sleep 0.05
done
[[ -n $port ]] || fail "no 'listening on PORT' line"
base="http://127.0.0.1:$port"
ok "listening on $port"

c() { curl -sS --max-time 10 "$@"; }

# 1. The page.
code=$(c -o "$tmp/page" -w '%{http_code}' "$base/") || fail "GET / failed"
[[ $code == 200 ]] || fail "GET / gave $code"
grep -q 'Hello from asyncc' "$tmp/page" || fail "GET / did not send the page"
ok "GET / -> 200 and the page"

# 2. Concurrency: five 200 ms sleeps at once.
start=$EPOCHREALTIME
for i in 1 2 3 4 5; do
    c -o "$tmp/sleep$i" "$base/sleep?ms=200" &
done
wait_fail=0
for job in $(jobs -p); do
    [[ $job == "$pid" ]] && continue
    wait "$job" || wait_fail=1
done
end=$EPOCHREALTIME
[[ $wait_fail == 0 ]] || fail "a /sleep request failed"
for i in 1 2 3 4 5; do
    grep -q '^slept 200 ms$' "$tmp/sleep$i" || fail "/sleep #$i: bad body"
done
elapsed=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
awk -v t="$elapsed" 'BEGIN { exit !(t >= 0.19 && t < 0.8) }' ||
    fail "5 concurrent 200 ms sleeps took $elapsed s (expected 0.2 to 0.8)"
ok "5 concurrent /sleep?ms=200 in $elapsed s"

# 3. /hash?rounds=K: FNV-1a (32 bits) of the page, K times over.
fnv1a() { # fnv1a FILE ROUNDS: prints the hash as 8 hex digits
    local h=2166136261 r b bytes
    read -r -a bytes <<<"$(od -An -v -tu1 "$1" | tr -s ' \n' ' ')"
    for ((r = 0; r < $2; r++)); do
        for b in "${bytes[@]}"; do
            h=$(((h ^ b) * 16777619 & 0xFFFFFFFF))
        done
    done
    printf '%08x\n' "$h"
}
for k in 1 3; do
    body=$(c "$base/hash?rounds=$k") || fail "GET /hash?rounds=$k failed"
    want="fnv1a $(fnv1a "$tmp/page" "$k")"
    [[ $body == "$want" ]] || fail "/hash?rounds=$k gave '$body', not '$want'"
done
for q in rounds=0 rounds=100001 rounds=x n=3; do
    code=$(c -o /dev/null -w '%{http_code}' "$base/hash?$q") ||
        fail "GET /hash?$q failed"
    [[ $code == 400 ]] || fail "GET /hash?$q gave $code"
done
ok "/hash?rounds=1 and 3 match FNV-1a of the page; 400 for bad rounds"

# 4. Not found, bad query.
code=$(c -o /dev/null -w '%{http_code}' "$base/nope") || fail "GET /nope"
[[ $code == 404 ]] || fail "GET /nope gave $code"
code=$(c -o /dev/null -w '%{http_code}' "$base/sleep?ms=x") || fail "bad ms"
[[ $code == 400 ]] || fail "GET /sleep?ms=x gave $code"
ok "404 for /nope, 400 for /sleep?ms=x"

# 5. Malformed requests through a raw socket: the status line must be 400.
raw() { # raw NAME: sends stdin as the request, prints the status line
    local line=''
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    cat >&3
    IFS= read -r -t 5 line <&3
    exec 3<&-
    printf '%s\n' "${line%$'\r'}"
}
status=$(printf 'THIS IS NOT HTTP\r\n\r\n' | raw) || fail "raw connect"
[[ $status == 'HTTP/1.1 400 Bad Request' ]] ||
    fail "malformed request line got '$status'"
status=$(printf 'GET / HTTP/1.1\r\nHost x\r\n\r\n' | raw) || fail "raw connect"
[[ $status == 'HTTP/1.1 400 Bad Request' ]] ||
    fail "malformed header got '$status'"
big=$(head -c 20000 /dev/zero | tr '\0' 'a')
status=$(printf 'GET / HTTP/1.1\r\nX-Big: %s\r\n\r\n' "$big" | raw) ||
    fail "raw connect"
[[ $status == 'HTTP/1.1 400 Bad Request' ]] ||
    fail "oversized header got '$status'"
ok "400 for a malformed request line, a malformed header, a 20 kB header"

# 6. Keep-alive: two URLs, one connection; Connection: close gives two.
n=$(c -o /dev/null -o /dev/null -w '%{num_connects}\n' "$base/" "$base/nope" |
    paste -sd' ') || fail "keep-alive run"
[[ $n == '1 0' ]] || fail "keep-alive: connections made per URL: '$n'"
n=$(c -H 'Connection: close' -o /dev/null -o /dev/null \
    -w '%{num_connects}\n' "$base/" "$base/" | paste -sd' ') ||
    fail "Connection: close run"
[[ $n == '1 1' ]] || fail "Connection: close: connections per URL: '$n'"
ok "keep-alive reuses the connection; Connection: close is honoured"

# 7. Load, when wrk is there.
if command -v wrk >/dev/null; then
    timeout 30 wrk -t2 -c20 -d2s "$base/" >"$tmp/wrk" 2>&1 ||
        fail "wrk failed: $(cat "$tmp/wrk")"
    reqs=$(sed -n 's/^ *\([0-9][0-9]*\) requests in.*/\1/p' "$tmp/wrk")
    [[ -n $reqs && $reqs -gt 0 ]] || fail "wrk made no requests: $(cat "$tmp/wrk")"
    if grep -q -e 'Socket errors' -e 'Non-2xx' "$tmp/wrk"; then
        fail "wrk reported errors: $(cat "$tmp/wrk")"
    fi
    ok "wrk: $reqs requests in 2 s on 20 connections, no errors"
else
    echo "note: wrk not found, no load test"
fi

# 8. SIGTERM with an idle connection open and a 5 s /sleep in flight:
# both are cancelled, so the server stops at once, cleanly.
exec 4<>"/dev/tcp/127.0.0.1/$port" || fail "idle connection"
c -o /dev/null "$base/sleep?ms=5000" 2>/dev/null &
sleeper=$!
sleep 0.3
start=$EPOCHREALTIME
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
end=$EPOCHREALTIME
pid=''
exec 4<&-
wait "$sleeper" 2>/dev/null
[[ $status == 0 ]] || fail "exit status $status after SIGTERM"
elapsed=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
awk -v t="$elapsed" 'BEGIN { exit !(t < 2) }' ||
    fail "the server took $elapsed s to stop"
if [[ $loops == 1 ]]; then
    grep -Eq '^served [0-9]+ requests$' "$tmp/out" ||
        fail "no 'served N requests' line"
else
    line=$(grep -E '^served [0-9]+ requests \([0-9]+( \+ [0-9]+)+\)$' \
        "$tmp/out") || fail "no 'served N requests (A + B...)' line"
    read -r -a shares <<<"$(sed 's/.*(//; s/)//; s/ + / /g' <<<"$line")"
    [[ ${#shares[@]} == "$loops" ]] ||
        fail "$loops loops, but ${#shares[@]} shares: $line"
    total=0
    for n in "${shares[@]}"; do
        total=$((total + n))
        if [[ $n == 0 ]] && command -v wrk >/dev/null; then
            fail "a loop served no request: $line"
        fi
    done
    [[ $line == "served $total requests ("* ]] ||
        fail "the shares do not add up: $line"
fi
ok "SIGTERM: exit 0 in $elapsed s, $(tail -n 1 "$tmp/out")"
echo "PASS e2e.http"
