#!/usr/bin/env node
// http_cluster: http_server.js's handler on several processes with
// node:cluster, Node's way to use more than one core, for wrk.
//
//     node http_cluster.js WORKERS PORT      (PORT 0: ephemeral)
//
// The primary forks WORKERS processes, each serving http_server.js's
// routes (/, /sleep?ms=N, /hash?rounds=K) on 127.0.0.1:PORT, and prints
// "PORT <n>" on stderr once every worker listens.  On Linux the primary
// accepts the connections and hands them to the workers in turn
// (cluster.SCHED_RR, Node's default there).  On SIGINT or SIGTERM the
// primary stops the workers and exits 0.
'use strict';

const cluster = require('node:cluster');
const http = require('node:http');

function usage() {
  process.stderr.write('usage: node http_cluster.js WORKERS PORT\n');
  process.exit(2);
}

if (cluster.isPrimary) {
  const workers = Number(process.argv[2]);
  const port = Number(process.argv[3]);
  if (!Number.isInteger(workers) || workers < 1 || !Number.isInteger(port) ||
      port < 0 || port > 65535) {
    usage();
  }
  let listening = 0;
  let stopping = false;
  cluster.on('listening', (worker, address) => {
    if (++listening === workers) {
      process.stderr.write(`PORT ${address.port}\n`);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      process.stderr.write(`worker ${worker.id} died (${signal || code})\n`);
      process.exit(1);
    }
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  // The workers share the primary's listening socket (port 0 included).
  const { handle } = require('./http_server.js');
  const port = Number(process.argv[3]);
  http.createServer(handle).listen({ port, host: '127.0.0.1', backlog: 1024 });
}
