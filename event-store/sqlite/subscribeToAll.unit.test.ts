import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../eventStore.ts';
import { createHeadAdvancedSignal } from './headAdvancedSignal.ts';
import { subscribeToAll } from './subscribeToAll.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const recorded = (position: number): RecordedEvent => ({
  id: `e${position}`,
  type: 'T',
  data: null,
  metadata: {},
  streamName: 's',
  revision: BigInt(position - 1),
  position: BigInt(position),
  recordedAt: new Date(0),
});

/** An in-memory log; `beforeRead` runs inside readAfter, before it answers. */
const fakeLog = (count: number, pollIntervalMs = 60_000) => {
  const log = Array.from({ length: count }, (_, i) => recorded(i + 1));
  const headAdvanced = createHeadAdvancedSignal();
  const hooks: { beforeRead?: () => void } = {};
  const deps = {
    readAfter: (position: bigint, maxCount: number) => {
      const page = log.filter((e) => e.position > position).slice(0, maxCount);
      hooks.beforeRead?.();
      return page;
    },
    headPosition: () => log.at(-1)?.position ?? 0n,
    headAdvanced,
    pollIntervalMs,
  };
  const append = () => log.push(recorded(log.length + 1));
  return { log, deps, hooks, append, headAdvanced };
};

describe('subscribeToAll (loop mechanics)', () => {
  it('does not miss a commit that lands between reading an empty page and starting to wait', async () => {
    const { deps, hooks, append, headAdvanced } = fakeLog(0);
    let reads = 0;
    hooks.beforeRead = () => {
      // The first read finds nothing, and a commit lands right after it, before the wait starts.
      if (++reads === 1) {
        append();
        headAdvanced.notify();
      }
    };
    const delivered: string[] = [];
    const onEvents = (events: RecordedEvent[]) => void delivered.push(...events.map((e) => e.id));
    const subscription = subscribeToAll(deps, { after: 'start', onEvents });

    const started = Date.now();
    while (delivered.length === 0 && Date.now() - started < 1_000) await sleep(5);
    expect(delivered).toEqual(['e1']); // not after the 60 s poll
    await subscription.close();
  });

  it('falls back to polling when nobody notifies (writes from another process)', async () => {
    const { deps, append } = fakeLog(1, 20);
    const delivered: string[] = [];
    const onEvents = (events: RecordedEvent[]) => void delivered.push(...events.map((e) => e.id));
    const subscription = subscribeToAll(deps, { after: 'start', onEvents });
    await subscription.caughtUp;
    append();
    append();
    const started = Date.now();
    while (delivered.length < 3 && Date.now() - started < 1_000) await sleep(5);
    expect(delivered).toEqual(['e1', 'e2', 'e3']);
    await subscription.close();
  });

  it('caughtUp rejects when the subscription is closed before catching up', async () => {
    const { deps } = fakeLog(5);
    const subscription = subscribeToAll(deps, {
      after: 'start',
      maxBatchSize: 1,
      // Closing from inside the handler must not be awaited there: close() waits for the handler.
      onEvents: () => void subscription.close(),
    });
    await expect(subscription.caughtUp).rejects.toThrow('closed before catching up');
    await expect(subscription.done).resolves.toBeUndefined();
  });

  it('caughtUp and done reject with the handler error', async () => {
    const { deps } = fakeLog(3);
    const failure = new Error('handler failed');
    const subscription = subscribeToAll(deps, {
      after: 'start',
      maxBatchSize: 1,
      onEvents: () => Promise.reject(failure),
    });
    await expect(subscription.done).rejects.toBe(failure);
    await expect(subscription.caughtUp).rejects.toBe(failure);
  });

  it('never calls the handler before subscribeToAll has returned', () => {
    const { deps } = fakeLog(3);
    let calls = 0;
    const subscription = subscribeToAll(deps, { after: 'start', onEvents: () => void calls++ });
    expect(calls).toBe(0);
    return subscription.close();
  });

  it('rejects a non-positive maxBatchSize', () => {
    const { deps } = fakeLog(0);
    expect(() => subscribeToAll(deps, { after: 'start', maxBatchSize: 0, onEvents: () => {} })).toThrow(RangeError);
  });
});
