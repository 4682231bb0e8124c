#!/usr/bin/env bash
# run_https.sh -- samples/http.c serving HTTPS (--tls CERT KEY) to real
# TLS clients.
#
#   run_https.sh [--loops N] SERVER MAKE_CERTS [WRAPPER...]
#
# MAKE_CERTS (tests/unit/tls/make_certs.sh) makes a throwaway CA and a
# certificate for localhost.  The server starts on an ephemeral port
# (under WRAPPER, e.g. valgrind, when given); then: curl --cacert gets
# the page and a HEAD, keeps one connection for two URLs, and five
# concurrent /sleep?ms=300 take well under the 1.5 s they would one after
# the other; curl without the CA refuses the server (exit 60); openssl
# s_client verifies the chain and gets a 200; a client speaking plain
# HTTP to the TLS port and one that hangs up in the middle of the
# handshake do not disturb it (the next request is served); SIGTERM
# ends it with "served N requests" and status 0.  With --loops N the
# server runs on N loops that share one TLS context, and 16 more
# connections follow: each loop must have served some (its share is in
# the "served" line).
#
# Exits 0 on success, 1 on failure, 77 (skip) without curl or openssl.
set -uo pipefail

usage() {
    echo "usage: $0 [--loops N] SERVER MAKE_CERTS [WRAPPER...]" >&2
    exit 2
}
loops=1
if [[ ${1:-} == --loops ]]; then
    [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage
    loops=$2
    shift 2
fi
[[ $# -ge 2 ]] || usage
server=$1 make_certs=$2
shift 2
server_args=()
[[ $loops == 1 ]] || server_args=(--loops "$loops")

for tool in curl openssl; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP e2e.https: $tool not found"
        exit 77
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-https.XXXXXX")
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
    echo "FAIL e2e.https: $*"
    [[ -f $tmp/server.out ]] && sed 's/^/  server: /' "$tmp/server.out"
    exit 1
}

bash "$make_certs" "$tmp/certs" >"$tmp/certs.log" 2>&1 ||
    fail "make_certs.sh: $(cat "$tmp/certs.log")"
"$@" "$server" "${server_args[@]}" --tls "$tmp/certs/server.pem" \
    "$tmp/certs/server.key" 0 >"$tmp/server.out" 2>&1 &
pid=$!
port=''
for _ in $(seq 1 200); do
    port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$tmp/server.out")
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || fail "the server exited before listening"
    sleep 0.05
done
[[ -n $port ]] || fail "no 'listening on PORT' line"
base="https://localhost:$port"
c() { timeout 20 curl -sS --cacert "$tmp/certs/ca.pem" "$@"; }

body=$(c "$base/") || fail "GET /"
grep -q "Hello from asyncc" <<<"$body" || fail "GET / body: $body"
head=$(c -I "$base/") || fail "HEAD /"
grep -q "^HTTP/1.1 200" <<<"$head" || fail "HEAD /: $head"
n=$(c -o /dev/null -o /dev/null -w '%{num_connects}\n' "$base/" "$base/nope" |
    awk '{ n += $1 } END { print n }') || fail "two URLs"
[[ $n == 1 ]] || fail "two URLs took $n connections, not 1"

start=$(date +%s.%N)
for i in 1 2 3 4 5; do
    c -o "$tmp/sleep$i" "$base/sleep?ms=300" &
done
wait_ok=1
for job in $(jobs -p); do
    [[ $job == "$pid" ]] && continue
    wait "$job" || wait_ok=0
done
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
((wait_ok)) || fail "a concurrent /sleep failed"
awk -v e="$elapsed" 'BEGIN { exit !(e < 1.2) }' || fail "5 x 300 ms took $elapsed s"

timeout 20 curl -sS -o /dev/null "$base/" 2>/dev/null
rc=$?
[[ $rc == 60 ]] || fail "curl without the CA: exit $rc, not 60 (unverified)"

reply=$(printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
    timeout 20 openssl s_client -quiet -verify_return_error -verify_hostname localhost \
        -CAfile "$tmp/certs/ca.pem" -connect "127.0.0.1:$port" 2>"$tmp/s_client.err") ||
    fail "openssl s_client: $(cat "$tmp/s_client.err")"
grep -q "^HTTP/1.1 200" <<<"$reply" || fail "s_client reply: $reply"

# Plain HTTP to the TLS port, and a handshake cut short.
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' |
    timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$port" 2>/dev/null
printf '\x16\x03\x01\x00\x50\x01' |
    timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$port" 2>/dev/null
body=$(c "$base/") || fail "GET / after bad clients"
grep -q "Hello from asyncc" <<<"$body" || fail "GET / after bad clients: $body"

if [[ $loops != 1 ]]; then
    for i in $(seq 1 16); do
        c -o /dev/null "$base/" || fail "GET / on connection $i of 16"
    done
fi

kill -TERM "$pid"
for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
kill -0 "$pid" 2>/dev/null && fail "still running 10 s after SIGTERM"
wait "$pid"
status=$?
pid=''
((status == 0)) || fail "exit status $status after SIGTERM"
if [[ $loops == 1 ]]; then
    grep -q "^served [0-9]* requests$" "$tmp/server.out" ||
        fail "no 'served N requests' line"
else
    line=$(grep -E '^served [0-9]+ requests \([0-9]+( \+ [0-9]+)+\)$' \
        "$tmp/server.out") || fail "no 'served N requests (A + B...)' line"
    read -r -a shares <<<"$(sed 's/.*(//; s/)//; s/ + / /g' <<<"$line")"
    [[ ${#shares[@]} == "$loops" ]] ||
        fail "$loops loops, but ${#shares[@]} shares: $line"
    for n in "${shares[@]}"; do
        [[ $n != 0 ]] || fail "a loop served no request: $line"
    done
fi
echo "PASS e2e.https (port $port, $(grep '^served' "$tmp/server.out"))"
