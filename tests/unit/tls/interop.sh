#!/usr/bin/env bash
# interop.sh TLS_ECHO -- the asyncc TLS streams against OpenSSL's own
# tools, over loopback, with certificates from make_certs.sh:
#   1. openssl s_client, verifying the chain and the name "localhost",
#      talks to `tls_echo serve` and gets its lines back;
#   2. `tls_echo client` talks to `openssl s_server -rev`, which answers
#      each line reversed, and shuts down cleanly.
# Exit 77 (skipped) without the openssl command.
set -uo pipefail
[[ $# == 1 ]] || { echo "usage: $0 TLS_ECHO" >&2; exit 2; }
tls_echo=$1
here=$(cd "$(dirname "$0")" && pwd)
command -v openssl >/dev/null || { echo "skipped: no openssl command (Debian's openssl)"; exit 77; }
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

bash "$here/make_certs.sh" "$work" || fail "make_certs.sh"

# Waits up to 5 s for a line matching $2 in file $1; prints the match.
wait_for() {
    for _ in $(seq 100); do
        grep -m1 -o "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# 1. s_client -> tls_echo serve
"$tls_echo" serve "$work/server.pem" "$work/server.key" 0 > "$work/serve.out" 2> "$work/serve.err" &
pids+=($!)
port=$(wait_for "$work/serve.out" 'port [0-9]*' | cut -d' ' -f2) || fail "tls_echo serve did not start"
out=$( (printf 'hello\nsecond line\n'; sleep 1) |
       timeout 20 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
           -CAfile "$work/ca.pem" -verify_return_error -brief -no_ign_eof 2> "$work/s_client.err")
grep -q "Verification: OK" "$work/s_client.err" || { cat "$work/s_client.err"; fail "s_client did not verify the server"; }
[[ $out == $'hello\nsecond line' ]] || fail "s_client got '$out'"
[[ ! -s $work/serve.err ]] || { cat "$work/serve.err"; fail "tls_echo serve reported errors"; }
echo "ok: openssl s_client -> tls_echo serve"

# 2. tls_echo client -> s_server -rev
openssl s_server -accept 0 -naccept 1 -cert "$work/server.pem" \
    -key "$work/server.key" -rev < /dev/null > "$work/s_server.out" 2>&1 &
pids+=($!)
port=$(wait_for "$work/s_server.out" 'ACCEPT .*:[0-9]*' | sed 's/.*://') || fail "s_server did not start"
out=$(timeout 20 "$tls_echo" client localhost "$port" "$work/ca.pem" hello "abc def") ||
    fail "tls_echo client failed: $out"
[[ $out == $'olleh\nfed cba' ]] || fail "tls_echo client got '$out'"
echo "ok: tls_echo client -> openssl s_server"

# 3. The client refuses s_server's certificate for another CA.
openssl s_server -accept 0 -naccept 1 -cert "$work/other.pem" \
    -key "$work/other.key" -rev < /dev/null > "$work/s_server2.out" 2>&1 &
pids+=($!)
port=$(wait_for "$work/s_server2.out" 'ACCEPT .*:[0-9]*' | sed 's/.*://') || fail "s_server did not start"
if timeout 20 "$tls_echo" client localhost "$port" "$work/ca.pem" hello 2> "$work/client.err"; then
    fail "tls_echo client accepted a certificate of an unknown CA"
fi
grep -q "certificate verify failed" "$work/client.err" || { cat "$work/client.err"; fail "no verification failure reported"; }
echo "ok: tls_echo client refuses an unknown CA"
