import { AccessDeniedError, START, UnavailableError, type ReadPosition } from '@eventstore/db-client';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../eventStore.ts';
import type { LogEntry } from './logPage.ts';
import {
  backoffDelay,
  subscribeToAllWithResubscribe,
  type ResubscribeDeps,
  type SubscriptionSource,
} from './subscribeToAllWithResubscribe.ts';

/**
 * The loop's mechanics against scripted sources standing in for the client's subscription
 * (an object-mode Readable): what the server would deliver is pushed by the test. The
 * contract suite runs the same loop against a real server when EVENTSTORE_URL is set.
 */

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const waitUntil = async (condition: () => boolean, what: string, timeoutMs = 2_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
};

const BASE = 2n ** 60n; // positions beyond Number's exact range
const at = (n: number) => BASE + BigInt(n) * 100n;

const entry = (n: number, visible = true): LogEntry => {
  const position = at(n);
  return {
    raw: { commit: position, prepare: position },
    position,
    visible: visible
      ? {
          id: `e${n}`,
          type: 'T',
          data: { n },
          metadata: {},
          streamName: 's',
          revision: BigInt(n),
          position,
          recordedAt: new Date(0),
        }
      : undefined,
  };
};

class ScriptedSource extends Readable implements SubscriptionSource {
  unsubscribed = false;
  constructor(readonly from: ReadPosition) {
    super({ objectMode: true, read() {} });
  }
  async unsubscribe() {
    this.unsubscribed = true;
  }
  deliver(...numbers: number[]) {
    for (const n of numbers) this.push(entry(n));
  }
}

const fromOf = (source: ScriptedSource) => (source.from === START ? 'start' : (source.from as { commit: bigint }).commit);

/** Deps whose sources the test drives; `head` is the head the start reports. */
const harness = (options: { skipUpTo?: bigint; head?: bigint; startFails?: unknown[] } = {}) => {
  const sources: ScriptedSource[] = [];
  const drops: { error: unknown; attempt: number }[] = [];
  const startFailures = [...(options.startFails ?? [])];
  let starts = 0;
  let ended = 0;
  const deps: ResubscribeDeps = {
    start: async () => {
      starts++;
      const failure = startFailures.shift();
      if (failure) throw failure;
      return { start: { from: START, skipUpTo: options.skipUpTo ?? -1n }, head: options.head ?? 0n };
    },
    open: (from) => {
      const source = new ScriptedSource(from);
      sources.push(source);
      return source;
    },
    toEntry: (item) => item as LogEntry,
    isPermanent: (error) => error instanceof AccessDeniedError,
    backoff: { initialMs: 1, maxMs: 4 },
    onDropped: (error, attempt) => void drops.push({ error, attempt }),
    onEnded: () => void ended++,
  };
  return {
    deps,
    sources,
    drops,
    starts: () => starts,
    ended: () => ended,
    source: (i: number) => sources[i]!,
  };
};

const recorder = (onBatch?: (events: RecordedEvent[]) => void | Promise<void>) => {
  const delivered: string[] = [];
  const batches: number[] = [];
  let running = 0;
  let maxRunning = 0;
  return {
    delivered,
    batches,
    maxRunning: () => maxRunning,
    onEvents: async (events: RecordedEvent[]) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        await onBatch?.(events);
        batches.push(events.length);
        delivered.push(...events.map((event) => event.id));
      } finally {
        running--;
      }
    },
  };
};

describe('subscribeToAllWithResubscribe', () => {
  it('delivers in order, in batches of at most maxBatchSize, one onEvents call at a time', async () => {
    const h = harness({ head: at(10) });
    const r = recorder(() => sleep(1));
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: 'start', onEvents: r.onEvents, maxBatchSize: 3 });
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    h.source(0).deliver(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);

    await subscription.caughtUp;
    expect(r.delivered).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'e10']);
    expect(Math.max(...r.batches)).toBeLessThanOrEqual(3);
    expect(r.maxRunning()).toBe(1);
    expect(h.source(0).from).toBe(START);

    h.source(0).deliver(11); // live
    await waitUntil(() => r.delivered.length === 11, 'the live event');
    await subscription.close();
    await expect(subscription.done).resolves.toBeUndefined();
    expect(h.source(0).unsubscribed).toBe(true);
    expect(h.ended()).toBe(1);
  });

  it('caughtUp waits until the head itself is delivered, not the first batch', async () => {
    const h = harness({ head: at(4) });
    const r = recorder();
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: 'start', onEvents: r.onEvents, maxBatchSize: 1 });
    let caughtUp = false;
    void subscription.caughtUp.then(() => (caughtUp = true));
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    h.source(0).deliver(1, 2, 3);
    await waitUntil(() => r.delivered.length === 3, 'three events');
    await sleep(10);
    expect(caughtUp).toBe(false);
    h.source(0).deliver(4);
    await subscription.caughtUp;
    expect(r.delivered).toEqual(['e1', 'e2', 'e3', 'e4']);
    await subscription.close();
  });

  it('is caught up at once when there is nothing up to the head to deliver', async () => {
    const empty = harness({ head: 0n });
    const first = subscribeToAllWithResubscribe(empty.deps, { after: 'start', onEvents: () => {} });
    await first.caughtUp;
    await first.close();

    const pastHead = harness({ head: at(5), skipUpTo: at(5) });
    const second = subscribeToAllWithResubscribe(pastHead.deps, { after: 'end', onEvents: () => {} });
    await second.caughtUp;
    await second.close();
  });

  it('skips events up to the start and events the port does not show; hidden ones still count as progress', async () => {
    const h = harness({ skipUpTo: at(2), head: at(6) });
    const r = recorder();
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: at(2), onEvents: r.onEvents });
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    h.source(0).deliver(1, 2, 3);
    h.source(0).push(entry(4, false));
    h.source(0).deliver(5);
    h.source(0).push(entry(6, false)); // the head is reached through a hidden event
    await subscription.caughtUp;
    expect(r.delivered).toEqual(['e3', 'e5']);
    await subscription.close();
  });

  it('after a drop, resubscribes from the last delivered event and delivers nothing twice', async () => {
    const h = harness({ head: at(6) });
    const r = recorder();
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: 'start', onEvents: r.onEvents, maxBatchSize: 2 });
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    h.source(0).deliver(1, 2, 3);
    await waitUntil(() => r.delivered.length === 3, 'three events');
    const failure = new UnavailableError();
    h.source(0).deliver(4); // buffered when the connection breaks: lost with the source
    h.source(0).destroy(failure);

    await waitUntil(() => h.sources.length === 2, 'the resubscription');
    expect(h.drops).toEqual([{ error: failure, attempt: 1 }]);
    expect(fromOf(h.source(1))).toBe(at(3));
    // The server may deliver the start position again: it is skipped.
    h.source(1).deliver(3, 4, 5, 6);
    await subscription.caughtUp;
    expect(r.delivered).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    await subscription.close();
    expect(h.starts()).toBe(1);
  });

  it("treats an 'error' the client emits without destroying the stream as a drop too", async () => {
    const h = harness();
    const r = recorder();
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: 'start', onEvents: r.onEvents });
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    h.source(0).deliver(1);
    await waitUntil(() => r.delivered.length === 1, 'the first event');
    h.source(0).emit('error', new UnavailableError());
    await waitUntil(() => h.sources.length === 2, 'the resubscription');
    expect(fromOf(h.source(1))).toBe(at(1));
    expect(h.source(0).unsubscribed).toBe(true);
    await subscription.close();
  });

  it('resubscribes when the server ends the subscription, and backs off while it keeps failing', async () => {
    const h = harness();
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: 'start', onEvents: () => {} });
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    h.source(0).push(null); // the server completed the call
    await waitUntil(() => h.sources.length === 2, 'the resubscription after the end');
    h.source(1).destroy(new UnavailableError());
    await waitUntil(() => h.sources.length === 3, 'the second resubscription');
    expect(h.drops.map((drop) => drop.attempt)).toEqual([1, 2]);

    h.source(2).deliver(1); // progress resets the count
    await sleep(10);
    h.source(2).destroy(new UnavailableError());
    await waitUntil(() => h.sources.length === 4, 'the third resubscription');
    expect(h.drops.map((drop) => drop.attempt)).toEqual([1, 2, 1]);
    expect(fromOf(h.source(3))).toBe(at(1));
    await subscription.close();
  });

  it('waits out the backoff even when the dropped source emits more events afterwards', async () => {
    const h = harness();
    h.deps.backoff = { initialMs: 80, maxMs: 80 };
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: 'start', onEvents: () => {} });
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    const dropped = Date.now();
    h.source(0).emit('error', new UnavailableError()); // as the client does: the stream stays open
    await sleep(10);
    h.source(0).emit('close'); // a late event of the source given up, during the backoff
    await waitUntil(() => h.sources.length === 2, 'the resubscription');
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(35); // at least half the 80 ms, with timer slack
    await subscription.close();
  });

  it('retries the start when the server is not there yet', async () => {
    const h = harness({ startFails: [new UnavailableError(), new UnavailableError()] });
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: 'start', onEvents: () => {} });
    await subscription.caughtUp;
    expect(h.starts()).toBe(3);
    expect(h.drops.map((drop) => drop.attempt)).toEqual([1, 2]);
    await subscription.close();
  });

  it('a permanent failure ends the subscription: done and caughtUp reject, no resubscribe', async () => {
    const h = harness({ head: at(9) });
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: 'start', onEvents: () => {} });
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    const denied = new AccessDeniedError();
    h.source(0).destroy(denied);
    await expect(subscription.done).rejects.toBe(denied);
    await expect(subscription.caughtUp).rejects.toBe(denied);
    await sleep(10);
    expect(h.sources).toHaveLength(1);
    expect(h.ended()).toBe(1);
  });

  it.each(['throws', 'rejects'] as const)('when onEvents %s, done rejects, the source is released and never reopened', async (how) => {
    const h = harness();
    const failure = new Error('projection failed');
    let calls = 0;
    const subscription = subscribeToAllWithResubscribe(h.deps, {
      after: 'start',
      onEvents:
        how === 'throws'
          ? () => {
              calls++;
              throw failure;
            }
          : async () => {
              calls++;
              await sleep(1);
              throw failure;
            },
    });
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    h.source(0).deliver(1, 2);
    await expect(subscription.done).rejects.toBe(failure);
    expect(calls).toBe(1);
    expect(h.source(0).unsubscribed).toBe(true);
    h.source(0).deliver(3);
    await sleep(10);
    expect(calls).toBe(1);
    expect(h.sources).toHaveLength(1);
    await subscription.close(); // still fine
  });

  it('close() is prompt while idle, while backing off and while the start is pending; then nothing is delivered', async () => {
    const idle = harness();
    const r = recorder();
    const first = subscribeToAllWithResubscribe(idle.deps, { after: 'start', onEvents: r.onEvents });
    await waitUntil(() => idle.sources.length === 1, 'the server subscription');
    let started = Date.now();
    await first.close();
    expect(Date.now() - started).toBeLessThan(100);
    idle.source(0).deliver(1);
    await sleep(10);
    expect(r.delivered).toEqual([]);
    await expect(first.done).resolves.toBeUndefined();
    await expect(first.caughtUp).resolves.toBeUndefined(); // head 0n: caught up at the start

    const backingOff = harness();
    backingOff.deps.backoff = { initialMs: 60_000, maxMs: 60_000 };
    const second = subscribeToAllWithResubscribe(backingOff.deps, { after: 'start', onEvents: () => {} });
    await waitUntil(() => backingOff.sources.length === 1, 'the server subscription');
    backingOff.source(0).destroy(new UnavailableError());
    await waitUntil(() => backingOff.drops.length === 1, 'the drop');
    started = Date.now();
    await second.close();
    expect(Date.now() - started).toBeLessThan(100);

    const neverStarts: ResubscribeDeps = { ...harness().deps, start: () => new Promise(() => {}) };
    const third = subscribeToAllWithResubscribe(neverStarts, { after: 'start', onEvents: () => {} });
    started = Date.now();
    await third.close();
    expect(Date.now() - started).toBeLessThan(100);
    await expect(third.caughtUp).rejects.toThrow('closed before catching up');
  });

  it('does not stall on a long run of hidden events', async () => {
    const h = harness({ head: at(3_001) });
    const r = recorder();
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: 'start', onEvents: r.onEvents });
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    for (let n = 1; n <= 3_000; n++) h.source(0).push(entry(n, false));
    h.source(0).deliver(3_001);
    await subscription.caughtUp;
    expect(r.delivered).toEqual(['e3001']);
    await subscription.close();
  });

  it('does not stall skipping a long run of events up to the start (a start from below `after`)', async () => {
    const h = harness({ skipUpTo: at(2_500), head: at(2_501) });
    const r = recorder();
    const subscription = subscribeToAllWithResubscribe(h.deps, { after: at(2_500), onEvents: r.onEvents });
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    for (let n = 1; n <= 2_501; n++) h.source(0).deliver(n);
    await waitUntil(() => r.delivered.length > 0, 'the event after the start');
    await subscription.caughtUp;
    expect(r.delivered).toEqual(['e2501']);
    await subscription.close();
  });

  it('never calls onEvents before subscribeToAll has returned', async () => {
    const h = harness();
    let returned = false;
    let calledEarly = false;
    const subscription = subscribeToAllWithResubscribe(
      { ...h.deps, open: (from) => Object.assign(h.deps.open(from), {}) },
      { after: 'start', onEvents: () => void (calledEarly ||= !returned) },
    );
    returned = true;
    await waitUntil(() => h.sources.length === 1, 'the server subscription');
    h.source(0).deliver(1);
    await sleep(5);
    expect(calledEarly).toBe(false);
    await subscription.close();
  });

  it('refuses a maxBatchSize that is not a positive integer', () => {
    expect(() => subscribeToAllWithResubscribe(harness().deps, { after: 'start', onEvents: () => {}, maxBatchSize: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the maximum, jittered between half and all of it', () => {
    const backoff = { initialMs: 100, maxMs: 5_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((attempt) => backoffDelay(attempt, backoff, () => 1))).toEqual([
      100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000,
    ]);
    expect(backoffDelay(3, backoff, () => 0)).toBe(200);
    expect(backoffDelay(3, backoff, () => 0.5)).toBe(300);
  });
});
