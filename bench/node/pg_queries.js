#!/usr/bin/env node
// pg_queries: PostgreSQL queries per second through the `pg` package
// (node-postgres), one async function per connection.
//
//     pg_queries.js N HOST PORT select1|row1k
//
// N queries in all over 8 connections (user and database postgres), each
// a named prepared statement, one at a time per connection: select1 is
// `SELECT 1`, row1k returns its parameter and a 1024-byte text.  The
// check is the sum of every row's first column plus the lengths of the
// second, as in bench/asyncc/pg_queries.c.  bench/run.py installs `pg`
// (bench/node/package.json) into its build directory and sets NODE_PATH.
'use strict';

const { Client } = require('pg');
const { now, statusKb, argN, report } = require('./bench.js');

const NCONN = 8;
const SQL = {
  select1: 'SELECT 1',
  row1k: 'SELECT $1::int, repeat(md5($1::text), 32)',
};

async function runJob(client, queries, row1k) {
  let check = 0;
  const query = { name: 'q', text: SQL[row1k ? 'row1k' : 'select1'], rowMode: 'array' };
  for (let i = 0; i < queries; i++) {
    if (row1k) {
      const r = await client.query({ ...query, values: [i] });
      check += r.rows[0][0] + r.rows[0][1].length;
    } else {
      const r = await client.query(query);
      check += r.rows[0][0];
    }
  }
  return check;
}

async function main() {
  const [, , , host, port, kind] = process.argv;
  if (process.argv.length !== 6 || !(kind in SQL)) {
    process.stderr.write('usage: pg_queries.js N HOST PORT select1|row1k\n');
    process.exit(2);
  }
  const n = argN(1);
  const clients = [];
  for (let i = 0; i < NCONN; i++) {
    const c = new Client({ host, port: Number(port), user: 'postgres', database: 'postgres' });
    await c.connect();
    clients.push(c);
  }
  const shares = clients.map((_, i) => Math.floor(n / NCONN) + (i < n % NCONN ? 1 : 0));
  const rssBefore = statusKb('VmRSS');
  const t0 = now();
  const checks = await Promise.all(clients.map((c, i) => runJob(c, shares[i], kind === 'row1k')));
  const seconds = now() - t0;
  await Promise.all(clients.map((c) => c.end()));
  report('pg_' + kind, n, seconds, n, rssBefore, checks.reduce((a, b) => a + b, 0));
}

main().catch((e) => {
  process.stderr.write(`pg_queries: ${e.stack || e}\n`);
  process.exit(1);
});
