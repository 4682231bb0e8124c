#!/usr/bin/env node
// loop_ping_pong (Node.js) -- the main thread and a worker thread pass a
// counter back and forth with postMessage, adding one on every hop: the
// latency of a round trip between two threads (two event loops).
//
//     node loop_ping_pong.js [N=200000]
//
//     ops   = N (round trips)
//     check = the final counter value, 2N
'use strict';

const { Worker, isMainThread, parentPort } = require('node:worker_threads');

if (isMainThread) {
  const { now, statusKb, argN, report } = require('./bench.js');
  const n = argN(200000);
  const rssBefore = statusKb('VmRSS');
  const worker = new Worker(__filename);
  let t0 = 0;
  let trips = 0;
  worker.on('message', (v) => {
    if (v === 'ready') {
      t0 = now();
      worker.postMessage(1);
      return;
    }
    if (++trips < n) {
      worker.postMessage(v + 1);
      return;
    }
    report('loop_ping_pong', n, now() - t0, n, rssBefore, v);
    worker.terminate();
  });
} else {
  parentPort.on('message', (v) => parentPort.postMessage(v + 1));
  parentPort.postMessage('ready');
}
