#!/usr/bin/env node
// spawn_gather: N async calls that each yield once and return i % 7,
// collected with Promise.all and summed.
//
//     node spawn_gather.js [N=1000000]
//
// Calling an async function starts it at once, like asyncio.create_task
// starting a task; its promise is the task handle.  `await null` is the
// idiomatic cheapest way to give up control: the function suspends and
// resumes from the microtask queue after the calls already queued there,
// so all N are suspended at once and each resumes once, the counterpart
// of asyncio.sleep(0).  setImmediate wrapped in a promise would also let
// the event loop poll for I/O between tasks, but costs a macrotask and an
// extra promise per task, and async JavaScript code does not yield that
// way unless it has to let I/O through.
'use strict';

const { now, statusKb, argN, report } = require('./bench.js');

async function task(i) {
  await null;
  return i % 7;
}

async function main(n) {
  const rssBefore = statusKb('VmRSS');
  const t0 = now();
  const promises = new Array(n);
  for (let i = 0; i < n; i++) promises[i] = task(i);
  const results = await Promise.all(promises);
  let total = 0;
  for (let i = 0; i < n; i++) total += results[i];
  const seconds = now() - t0;
  report('spawn_gather', n, seconds, n, rssBefore, total);
}

main(argN(1_000_000));
