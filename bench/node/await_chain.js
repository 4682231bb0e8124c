#!/usr/bin/env node
// await_chain: one async function awaits addOne(i) N times and sums the
// results.
//
//     node await_chain.js [N=10000000]
//
// Each call makes a promise that is already resolved when it is awaited;
// V8 still suspends the caller and resumes it from the microtask queue
// (one tick per await since V8 7.2), so this is the cost of an await.
'use strict';

const { now, statusKb, argN, report } = require('./bench.js');

async function addOne(x) {
  return x + 1;
}

async function chain(n) {
  let total = 0;
  for (let i = 0; i < n; i++) total += await addOne(i);
  return total;
}

async function main(n) {
  const rssBefore = statusKb('VmRSS');
  const t0 = now();
  const total = await chain(n);
  const seconds = now() - t0;
  report('await_chain', n, seconds, n, rssBefore, total);
}

main(argN(10_000_000));
