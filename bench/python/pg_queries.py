#!/usr/bin/env python3
"""pg_queries: PostgreSQL queries per second through asyncpg, one task
per connection.

    pg_queries.py N HOST PORT select1|row1k

N queries in all over 8 connections (user and database postgres), each
a prepared statement, one at a time per connection: select1 is
`SELECT 1`, row1k returns its parameter and a 1024-byte text.  The
check is the sum of every row's first column plus the lengths of the
second, as in bench/asyncc/pg_queries.c.
"""

import asyncio
import sys

import asyncpg

from benchlib import arg_n, now, report, status_kb

NCONN = 8
SQL = {"select1": "SELECT 1",
       "row1k": "SELECT $1::int, repeat(md5($1::text), 32)"}


async def run_job(stmt, queries, row1k):
    check = 0
    for i in range(queries):
        if row1k:
            row = await stmt.fetchrow(i)
            check += row[0] + len(row[1])
        else:
            check += await stmt.fetchval()
    return check


async def main(n, host, port, kind):
    conns = [await asyncpg.connect(host=host, port=port, user="postgres",
                                   database="postgres", ssl=False)
             for _ in range(NCONN)]
    stmts = [await c.prepare(SQL[kind]) for c in conns]
    shares = [n // NCONN + (1 if i < n % NCONN else 0) for i in range(NCONN)]
    rss_before = status_kb("VmRSS")
    t0 = now()
    checks = await asyncio.gather(*(run_job(s, q, kind == "row1k")
                                    for s, q in zip(stmts, shares)))
    seconds = now() - t0
    for c in conns:
        await c.close()
    report("pg_" + kind, n, seconds, n, rss_before, sum(checks))


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[4] not in SQL:
        print("usage: pg_queries.py N HOST PORT select1|row1k", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(arg_n(1), sys.argv[2], int(sys.argv[3]), sys.argv[4]))
