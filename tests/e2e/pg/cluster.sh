#!/usr/bin/env bash
# cluster.sh -- a throwaway PostgreSQL cluster for tests and benchmarks.
#
#   cluster.sh start DIR   initdb in DIR/data and start the server on
#                          127.0.0.1 only, on a free port, with its unix
#                          socket in DIR; prints the port on stdout
#   cluster.sh stop DIR    stop it (immediate shutdown) and wait
#
# DIR must exist and be empty at start; the caller removes it after the
# stop.  The server binaries come from Debian's postgresql package
# (/usr/lib/postgresql/VERSION/bin, the highest version; PG_BINDIR
# overrides).  PostgreSQL refuses to run as root: as root, the cluster
# runs as the `postgres` user the package creates (DIR is handed to it).
# Authentication is `trust` for the superuser `postgres`, fsync is off:
# a cluster for tests, nothing else.
# Exit status: 0; 77 when the server binaries or the postgres user are
# missing (with the reason on stderr); 1 when the server fails to start
# (its log on stderr).
set -uo pipefail

die() { echo "cluster.sh: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
cmd=$1
dir=$2
[[ -d $dir ]] || die "no directory $dir"
dir=$(cd "$dir" && pwd)

bindir=${PG_BINDIR:-}
if [[ -z $bindir ]]; then
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [[ -z $bindir || ! -x $bindir/initdb || ! -x $bindir/pg_ctl ]]; then
    echo "cluster.sh: the PostgreSQL server is not installed (Debian: apt-get install postgresql)" >&2
    exit 77
fi

# as_owner CMD...: runs CMD as the cluster's owner.
if [[ $(id -u) -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
        echo "cluster.sh: running as root and there is no postgres user to run the server as" >&2
        exit 77
    fi
    as_owner() { runuser -u postgres -- "$@"; }
else
    as_owner() { "$@"; }
fi

case $cmd in
start)
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
        # Its parents are left as they are: they must let postgres in.
        as_owner test -w "$dir" ||
            die "the postgres user cannot reach $dir (use a directory under /tmp)"
    fi
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
        --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    }
    # A free port: one nothing listens on; if another process takes it
    # before the server binds, the start fails and the next one is tried.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
            -t 30 -o "-c listen_addresses=127.0.0.1 -p $port \
                -c unix_socket_directories=$dir -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null 2>&1; then
            echo "$port"
            exit 0
        fi
        grep -q "could not bind\|already in use" "$dir/server.log" 2>/dev/null ||
            break
    done
    cat "$dir/server.log" >&2
    die "the server did not start"
    ;;
stop)
    [[ -f $dir/data/postmaster.pid ]] || exit 0
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop \
        >/dev/null 2>&1 || die "pg_ctl stop failed"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
