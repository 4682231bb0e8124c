#!/usr/bin/env node
// tls_echo: TLS echo round trips, client and server in this one process
// with Node's tls module: CONNS connections (after their handshakes)
// each send a 64-byte message and wait for it to come back, N round
// trips in all.  Certificates come from the directory
// $ASYNCC_BENCH_CERTS (tests/unit/tls/make_certs.sh).
//
//     node tls_echo.js [N=100000]
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const tls = require('node:tls');
const { now, statusKb, argN, report } = require('./bench.js');

const CONNS = 10;
const MSG = 64;

const dir = process.env.ASYNCC_BENCH_CERTS;
if (!dir) {
  process.stderr.write('tls_echo: set ASYNCC_BENCH_CERTS\n');
  process.exit(2);
}
const ca = fs.readFileSync(path.join(dir, 'ca.pem'));
const cert = fs.readFileSync(path.join(dir, 'server.pem'));
const key = fs.readFileSync(path.join(dir, 'server.key'));

// Resolves with exactly `n` bytes from `sock`, keeping what follows.
function reader(sock) {
  let buffered = Buffer.alloc(0);
  let want = 0;
  let resolve = null;
  sock.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (resolve && buffered.length >= want) {
      const r = resolve;
      resolve = null;
      const out = buffered.subarray(0, want);
      buffered = buffered.subarray(want);
      r(out);
    }
  });
  return (n) =>
    new Promise((res) => {
      if (buffered.length >= n) {
        const out = buffered.subarray(0, n);
        buffered = buffered.subarray(n);
        res(out);
      } else {
        want = n;
        resolve = res;
      }
    });
}

async function main() {
  const n = argN(100000);
  const server = tls.createServer({ cert, key }, (sock) => {
    sock.on('data', (d) => sock.write(d));
    sock.on('end', () => sock.end());
    sock.on('error', () => {});
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const port = server.address().port;

  const socks = await Promise.all(
    Array.from({ length: CONNS }, () =>
      new Promise((res, rej) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => res(s));
        s.on('error', rej);
      }),
    ),
  );
  let echoed = 0;
  const before = statusKb('VmRSS');
  const t0 = now();
  await Promise.all(
    socks.map(async (s, i) => {
      const read = reader(s);
      const out = Buffer.alloc(MSG, 'x');
      const rounds = Math.floor(n / CONNS) + (i < n % CONNS ? 1 : 0);
      for (let r = 0; r < rounds; r++) {
        s.write(out);
        await read(MSG);
        echoed += MSG;
      }
    }),
  );
  const secs = now() - t0;
  for (const s of socks) s.end();
  server.close();
  report('tls_echo', n, secs, n, before, echoed);
}

main();
