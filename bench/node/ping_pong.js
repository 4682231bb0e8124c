#!/usr/bin/env node
// ping_pong: two async functions pass a counter back and forth through
// two one-slot queues, adding one on every hop, N hops in all.
//
//     node ping_pong.js [N=1000000]
//
// Node has no async queue built in; Queue below is the usual small
// promise-based one, bounded like asyncio.Queue(maxsize=1): get() waits
// while it is empty, put() while it is full, and each hands the value or
// the free slot straight to the oldest waiter.
'use strict';

const { now, statusKb, argN, report } = require('./bench.js');

class Queue {
  constructor(capacity) {
    this.capacity = capacity;
    this.items = [];
    this.getters = []; // resolve functions of waiting get()s
    this.putters = []; // resolve functions of waiting put()s
  }

  async put(value) {
    while (this.items.length >= this.capacity) {
      await new Promise((resolve) => this.putters.push(resolve));
    }
    this.items.push(value);
    if (this.getters.length > 0) this.getters.shift()();
  }

  async get() {
    while (this.items.length === 0) {
      await new Promise((resolve) => this.getters.push(resolve));
    }
    const value = this.items.shift();
    if (this.putters.length > 0) this.putters.shift()();
    return value;
  }
}

// Receives the counter (unless it serves first), sends it on plus one;
// stops after sending or receiving the N-th hop.
async function player(inbox, outbox, n, start) {
  let v = start !== undefined ? start : await inbox.get();
  while (v < n) {
    await outbox.put(v + 1);
    if (v + 1 === n) return n;
    v = await inbox.get();
  }
  return v;
}

async function main(n) {
  const rssBefore = statusKb('VmRSS');
  const t0 = now();
  const aToB = new Queue(1);
  const bToA = new Queue(1);
  const [finalA, finalB] = await Promise.all([
    player(bToA, aToB, n, 0),
    player(aToB, bToA, n),
  ]);
  const seconds = now() - t0;
  if (finalA !== n || finalB !== n) throw new Error('lost a hop');
  report('ping_pong', n, seconds, n, rssBefore, finalA);
}

main(argN(1_000_000));
