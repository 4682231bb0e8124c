// What every Node.js benchmark program shares: a monotonic clock, the
// process's memory as the kernel counts it, the size argument and the one
// line of JSON each program prints (the protocol of bench/common/bench.h,
// reproduced byte for byte so that one parser reads every system).
'use strict';

const fs = require('node:fs');

// process.hrtime is CLOCK_MONOTONIC, like bench_now(); seconds as a double.
function now() {
  return Number(process.hrtime.bigint()) * 1e-9;
}

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1.
function statusKb(field) {
  let text;
  try {
    text = fs.readFileSync('/proc/self/status', 'latin1');
  } catch {
    return -1;
  }
  const m = text.match(new RegExp(`^${field}:\\s*(\\d+)`, 'm'));
  return m ? Number(m[1]) : -1;
}

// N from argv[2] (Node's argv[1] is the script), or `fallback`; accepts
// 1e6-style and 10M-style, as bench_arg_n does.
function argN(fallback) {
  const arg = process.argv[2];
  if (arg === undefined) return fallback;
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.?)/.exec(arg);
  let v = m ? Number(m[1]) : 0;
  if (m && (m[2] === 'k' || m[2] === 'K')) v *= 1e3;
  else if (m && (m[2] === 'm' || m[2] === 'M')) v *= 1e6;
  if (!(v >= 1)) {
    process.stderr.write(`bad N '${arg}'\n`);
    process.exit(2);
  }
  return Math.trunc(v);
}

// Prints the one JSON line; VmHWM is read here, at the end.  Writes to a
// file or pipe are synchronous on Linux, so exiting right after is safe.
function report(workload, n, seconds, ops, rssBeforeKb, check) {
  process.stdout.write(
    `{"workload":"${workload}","system":"node","n":${n},` +
      `"seconds":${seconds.toFixed(9)},"ops":${Math.round(ops)},` +
      `"rss_before_kb":${rssBeforeKb},"rss_peak_kb":${statusKb('VmHWM')},` +
      `"check":${Math.round(check)}}\n`,
  );
}

// xorshift32 as in bench_rand(): returns the next state, which is also
// the drawn number.  JavaScript's shifts work on signed 32-bit integers,
// so `>>>` (not `>>`) is the logical right shift, and `>>> 0` turns the
// result back into an unsigned value before the caller takes % 1001.
function benchRand(x) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

module.exports = { now, statusKb, argN, report, benchRand };
