#!/usr/bin/env node
// echo_server: a TCP echo server on node:net.
//
//     node echo_server.js N PORT      (N is ignored; PORT 0: ephemeral)
//
// It listens on 127.0.0.1, prints "PORT <n>" on stderr, and on SIGINT or
// SIGTERM stops and prints the bench_report line: n = connections
// accepted, ops = messages = bytes echoed / 64, check = bytes echoed,
// seconds from the first accepted connection to the signal.
//
// Each 'data' chunk is written straight back; when write() reports a
// full buffer the socket pauses until 'drain', the backpressure that
// socket.pipe(socket) would also give (written out here so the bytes can
// be counted).  noDelay turns off Nagle's algorithm, as asyncio and the
// C servers do.
'use strict';

const net = require('node:net');
const { now, statusKb, report } = require('./bench.js');

let accepted = 0;
let bytes = 0;
let tFirst = 0;

function parsePort() {
  const port = Number(process.argv[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('usage: node echo_server.js N PORT  (0: ephemeral)\n');
    process.exit(2);
  }
  return port;
}

const port = parsePort();
const rssBefore = statusKb('VmRSS');

const server = net.createServer({ noDelay: true }, (socket) => {
  if (accepted++ === 0) tFirst = now();
  socket.on('data', (chunk) => {
    bytes += chunk.length;
    if (!socket.write(chunk)) socket.pause();
  });
  socket.on('drain', () => socket.resume());
  // A client that resets instead of closing: the socket is closed anyway.
  socket.on('error', () => {});
});

function stop() {
  const tStop = now();
  report('echo_server', accepted, tFirst ? tStop - tFirst : 0, bytes / 64,
    rssBefore, bytes);
  process.exit(0);
}

process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.listen({ port, host: '127.0.0.1', backlog: 1024 }, () => {
  process.stderr.write(`PORT ${server.address().port}\n`);
});
