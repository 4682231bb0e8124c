#!/usr/bin/env node
// http_server: the node:http counterpart of samples/http.c, for wrk.
//
//     node http_server.js N PORT      (N is ignored; PORT 0: ephemeral)
//
// It listens on 127.0.0.1, prints "PORT <n>" on stderr and serves
//
//     GET /              the same HTML page as samples/http.c, with the
//                        same Content-Type
//     GET /sleep?ms=N    answers after N milliseconds (0 to 60000)
//     GET /hash?rounds=K the FNV-1a hash (32 bits) of the page, hashed K
//                        times over (1 to 100000), as "fnv1a %08x"
//
// with 404 for other paths and 405 for other methods, keep-alive (node's
// default for HTTP/1.1) and a Content-Length on every response.  On
// SIGINT or SIGTERM it prints the bench_report line: n = connections
// accepted, ops = check = responses sent, seconds from the first
// accepted connection to the signal.  http_cluster.js runs the same
// handler (module.exports.handle) in its workers.
'use strict';

const http = require('node:http');
const { now, statusKb, report } = require('./bench.js');

// The page of samples/http.c, byte for byte.
const PAGE = Buffer.from(
  '<!DOCTYPE html>\n' +
    '<html><head><title>asyncc</title></head>\n' +
    '<body><h1>Hello from asyncc</h1>\n' +
    '<p>An HTTP/1.1 server written with async/await in C.</p>\n' +
    '</body></html>\n',
);
const SLEEP_MAX_MS = 60000;
const HASH_ROUNDS_MAX = 100000;

// FNV-1a, 32 bits, of `bytes`, `rounds` times over, each round going on
// from the previous one's hash: the loop of samples/http.c's
// fnv1a_rounds (Math.imul is the 32-bit multiplication).
function fnv1aRounds(bytes, rounds) {
  let h = 2166136261;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < bytes.length; i++) {
      h = Math.imul(h ^ bytes[i], 16777619);
    }
  }
  return h >>> 0;
}

let accepted = 0;
let served = 0;
let tFirst = 0;

function respond(res, status, type, body) {
  // writeHead with a Content-Length sends head and body in one write and
  // keeps node from switching to chunked encoding.
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
  served++;
}

function handle(req, res) {
  if (req.method !== 'GET') {
    respond(res, 405, 'text/plain', 'only GET is supported\n');
  } else if (req.url === '/') {
    respond(res, 200, 'text/html; charset=utf-8', PAGE);
  } else if (req.url.startsWith('/hash?')) {
    const m = /^rounds=(\d+)$/.exec(req.url.slice(6));
    const rounds = m ? Number(m[1]) : 0;
    if (rounds < 1 || rounds > HASH_ROUNDS_MAX) {
      respond(res, 400, 'text/plain',
        `usage: /hash?rounds=K with 1 <= K <= ${HASH_ROUNDS_MAX}\n`);
    } else {
      const h = fnv1aRounds(PAGE, rounds).toString(16).padStart(8, '0');
      respond(res, 200, 'text/plain', `fnv1a ${h}\n`);
    }
  } else if (req.url.startsWith('/sleep?')) {
    const m = /^ms=(\d+)$/.exec(req.url.slice(7));
    const ms = m ? Number(m[1]) : -1;
    if (ms < 0 || ms > SLEEP_MAX_MS) {
      respond(res, 400, 'text/plain',
        `usage: /sleep?ms=N with 0 <= N <= ${SLEEP_MAX_MS}\n`);
    } else {
      setTimeout(() => respond(res, 200, 'text/plain', `slept ${ms} ms\n`),
        ms);
    }
  } else {
    respond(res, 404, 'text/plain', 'not found\n');
  }
}

function parsePort() {
  const port = Number(process.argv[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('usage: node http_server.js N PORT  (0: ephemeral)\n');
    process.exit(2);
  }
  return port;
}

function main() {
  const port = parsePort();
  const rssBefore = statusKb('VmRSS');
  const server = http.createServer(handle);

  server.on('connection', () => {
    if (accepted++ === 0) tFirst = now();
  });

  function stop() {
    const tStop = now();
    report('http', accepted, tFirst ? tStop - tFirst : 0, served, rssBefore,
      served);
    process.exit(0);
  }

  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.listen({ port, host: '127.0.0.1', backlog: 1024 }, () => {
    process.stderr.write(`PORT ${server.address().port}\n`);
  });
}

module.exports = { handle };
if (require.main === module) main();
