#!/usr/bin/env bash
# run_pg.sh -- end-to-end test of samples/pg.c against a real PostgreSQL.
#
#   run_pg.sh SAMPLE [WRAPPER...]
#
# Starts a throwaway cluster (cluster.sh: 127.0.0.1 only, a free port,
# its socket in a temporary directory), then runs SAMPLE (under WRAPPER,
# e.g. valgrind, when given) and checks:
# - `pg check`: 5 queries of pg_sleep(0.5) on 5 connections finish
#   together in under 1.5 s (not 2.5 s) while the heartbeat task keeps
#   ticking; parameters and rows come back; a bad statement is reported
#   with its SQLSTATE; a pg_sleep(10) given 0.3 s is cancelled on the
#   server (57014) and the same connection answers the next query.  The
#   server is then asked whether a pg_sleep(10) still runs: it must not.
#   The check connects to "localhost", so libpq may try ::1 first and
#   move to another socket while connecting.
# - `pg` with the server taken from PGHOST (the unix socket's directory),
#   PGPORT and PGUSER: the demonstration's results.
# - `pg` against a port nothing listens on: exit status 1 and libpq's
#   "Connection refused" on stderr, no crash.
# The cluster is stopped and removed on every way out.
# Exits 0 on success, 1 on failure, 77 (skip) when the PostgreSQL server
# cannot run here.
set -uo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 SAMPLE [WRAPPER...]" >&2; exit 2; }
sample=$1
shift
here=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncc-pg.XXXXXX")
chmod 755 "$tmp"
mkdir "$tmp/cluster"
cleanup() {
    "$here/cluster.sh" stop "$tmp/cluster" || true
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "FAIL e2e.pg: $*"
    for f in out err; do
        [[ -f $tmp/$f ]] && { echo "--- $f:"; cat "$tmp/$f"; }
    done
    exit 1
}
ok() { echo "ok: $*"; }

port=$("$here/cluster.sh" start "$tmp/cluster")
rc=$?
if ((rc == 77)); then
    echo "SKIP e2e.pg: the PostgreSQL server cannot run here (see above)"
    exit 77
fi
((rc == 0)) || fail "the cluster did not start"
ok "cluster on 127.0.0.1:$port"

# The client options every run shares: no TLS or GSSAPI negotiation
# (the cluster has neither).
opts="user=postgres dbname=postgres sslmode=disable gssencmode=disable"

# run_sample ARGS...: the sample under the wrapper, killed after 60 s;
# its output in out and err, its exit status in $status.
status=0
run_sample() {
    timeout -s KILL 60 "${wrapper[@]}" "$sample" "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
}
wrapper=("$@")

# 1. The scenarios.
run_sample check "host=localhost port=$port $opts"
((status == 0)) || fail "pg check exited with $status"

line=$(grep '^concurrent: ' "$tmp/out") || fail "no 'concurrent:' line"
re='^concurrent: 5 queries of pg_sleep\(0\.5\) on 5 connections in ([0-9.]+) s, 0 failed; heartbeat ticked ([0-9]+) times$'
[[ $line =~ $re ]] || fail "unexpected line: $line"
took=${BASH_REMATCH[1]}
ticks=${BASH_REMATCH[2]}
awk -v t="$took" 'BEGIN { exit !(t >= 0.49 && t < 1.5) }' ||
    fail "the 5 queries took $took s: not run at once (0.5 s each)"
((ticks >= 6)) || fail "the heartbeat ticked $ticks times in $took s: the loop was blocked"
ok "5 x pg_sleep(0.5) at once in $took s, heartbeat ticked $ticks times"

expect() {
    grep -qxF -- "$1" "$tmp/out" || fail "missing line: $1"
}
expect "params: 2 + 40 = 42, upper('asyncc') = ASYNCC"
expect "rows:"
expect "    1 | *"
expect "    2 | **"
expect "    3 | ***"
ok "parameters and rows"
expect 'bad statement: 42601 syntax error at or near "SELEC"'
ok "a bad statement is reported with its SQLSTATE"

line=$(grep '^timeout: ' "$tmp/out") || fail "no 'timeout:' line"
re='^timeout: cancelled after ([0-9.]+) s: result: 57014 canceling statement due to user request$'
[[ $line =~ $re ]] || fail "unexpected line: $line"
took=${BASH_REMATCH[1]}
awk -v t="$took" 'BEGIN { exit !(t >= 0.29 && t < 3) }' ||
    fail "the cancelled query took $took s (deadline 0.3 s)"
expect "after cancel: the same connection, SELECT 42 -> 42"
ok "a query past its deadline is cancelled on the server after $took s; the connection goes on"

# The cancel reached the server: no pg_sleep(10) is left running (the
# sample has closed its connections, but a backend busy in a statement
# would not notice that before the statement ends).
if psql=$(command -v psql); then
    left=$("$psql" -X -A -t -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(10)' AND state = 'active'" 2>&1) ||
        fail "psql: $left"
    [[ $left == 0 ]] || fail "$left pg_sleep(10) still running on the server"
    ok "no pg_sleep(10) left on the server"
fi

# 2. The demonstration, the server taken from the environment (the unix
# socket).
PGHOST=$tmp/cluster PGPORT=$port PGUSER=postgres PGDATABASE=postgres \
    PGSSLMODE=disable PGGSSENCMODE=disable run_sample
((status == 0)) || fail "pg (PGHOST=the socket's directory) exited with $status"
expect "squares:"
expect "    5 | 25"
grep -q '^    postgres | PostgreSQL ' "$tmp/out" || fail "no server line"
expect "slept 0.2 s:"
ok "pg with the server from PGHOST/PGPORT, over the unix socket"

# 3. A port nothing listens on.
bad=$port
for _ in $(seq 1 50); do
    bad=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$bad") 2>/dev/null || break
done
run_sample "host=127.0.0.1 port=$bad $opts"
((status == 1)) || fail "pg against port $bad exited with $status, not 1"
grep -q "^pg: connection failed: .*port $bad failed: Connection refused" "$tmp/err" ||
    fail "no 'connection failed ... Connection refused' message"
[[ ! -s $tmp/out ]] || fail "output on a failed connection"
ok "a refused connection is reported: $(grep "^pg: connection failed" "$tmp/err")"

echo "PASS e2e.pg"
