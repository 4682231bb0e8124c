#!/usr/bin/env node
// loop_channel (Node.js) -- the main thread sends N numbers to a worker
// thread through a MessageChannel port (postMessage), the worker sums
// them and sends the sum back: the throughput of messages between two
// threads.
//
//     node loop_channel.js [N=10000000]
//
//     ops   = N (messages received)
//     check = the sum of the messages, 1 + 2 + ... + N
//
// postMessage has no capacity: the sender never waits, and the messages
// queue in the port (structured clone of a number each).  The time
// starts when the worker is ready and ends when its sum arrives, so it
// includes the whole queue being drained.
'use strict';

const { Worker, isMainThread, parentPort, workerData } =
  require('node:worker_threads');

if (isMainThread) {
  const { now, statusKb, argN, report } = require('./bench.js');
  const n = argN(10000000);
  const rssBefore = statusKb('VmRSS');
  const worker = new Worker(__filename, { workerData: n });
  let t0 = 0;
  worker.on('message', (msg) => {
    if (msg === 'ready') {
      t0 = now();
      for (let i = 1; i <= n; i++) worker.postMessage(i);
      return;
    }
    const seconds = now() - t0;
    report('loop_channel', n, seconds, n, rssBefore, msg);
    worker.terminate();
  });
} else {
  const n = workerData;
  let sum = 0;
  let got = 0;
  parentPort.on('message', (v) => {
    sum += v;
    if (++got === n) parentPort.postMessage(sum);
  });
  parentPort.postMessage('ready');
}
