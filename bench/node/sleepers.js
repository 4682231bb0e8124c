#!/usr/bin/env node
// sleepers: N async functions each sleep xorshift32 % 1001 milliseconds.
//
//     node sleepers.js [N=1000000]
//
// The durations are drawn in spawn order from seed 12345, the same
// sequence as bench_rand() in bench/common/bench.h; `seconds` runs from
// before the first spawn until Promise.all sees the last one wake.
//
// The sleep is the promise version of setTimeout from node:timers/promises.
// Node keeps one list of timers per distinct duration (here at most 1001)
// behind a single libuv timer, so starting a timer is O(1).  Node clamps
// a 0 ms timeout to 1 ms; the sum in `check` counts the drawn value.
'use strict';

const { setTimeout: sleep } = require('node:timers/promises');
const { now, statusKb, argN, report, benchRand } = require('./bench.js');

async function sleeper(ms) {
  await sleep(ms);
}

async function main(n) {
  let x = 12345;
  let total = 0;
  const promises = new Array(n);
  const rssBefore = statusKb('VmRSS');
  const t0 = now();
  for (let i = 0; i < n; i++) {
    x = benchRand(x);
    const ms = x % 1001;
    total += ms;
    promises[i] = sleeper(ms);
  }
  await Promise.all(promises);
  const seconds = now() - t0;
  report('sleepers', n, seconds, n, rssBefore, total);
}

main(argN(1_000_000));
