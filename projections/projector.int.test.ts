import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../domain/events.ts';
import { tempEventStore } from '../testing/tempEventStore.ts';
import type { Projection } from './projection.ts';
import { createProjector } from './projector.ts';
import type { BuildBatch } from './sqlite/sqliteReadStore.ts';
import { put } from './write.ts';

/** One row per event, keyed by the event's `n`. */
const counting: Projection = {
  name: 'counting',
  version: 1,
  tables: { seen: { columns: { n: 'integer' }, primaryKey: ['n'] } },
  project: (event: DomainEvent) => [put('seen', { n: (event.data as unknown as { n: number }).n })],
};

/**
 * A sink like the bulk loader: it answers a promise per batch, commits in order a little
 * later, and fails one batch once, together with every batch handed over after it.
 */
const pipelinedSink = (failBatch: number) => {
  const committed: number[] = [];
  const checkpoints: bigint[] = [];
  let handed = 0;
  let failing = false;
  let queue = Promise.resolve();
  return {
    committed,
    checkpoints,
    applyBatch(batches: readonly BuildBatch[]): Promise<void> {
      const index = handed++;
      if (index === failBatch) failing = true;
      const failed = failing;
      const commit = queue.then(async () => {
        await new Promise((r) => setTimeout(r, 1));
        if (failed) throw new Error(`batch ${index} failed`);
        for (const b of batches) {
          for (const w of b.writes) if (w.op === 'put') committed.push(w.row.n as number);
          checkpoints.push(b.checkpoint);
        }
      });
      queue = commit.catch(() => {
        failing = false; // the caller re-projects from what was committed: accept batches again
      });
      return commit;
    },
  };
};

describe('projector with a sink that commits later', () => {
  // 25 batches of 20: a failure in the first, in the middle, in the last (after the head was handed over).
  it.each([0, 3, 24])('keeps projecting while batches commit, and after batch %i failed re-projects exactly what was not committed', async (failBatch) => {
    const temp = tempEventStore();
    const store = temp.open();
    try {
      const events = Array.from({ length: 500 }, (_, n) => ({ id: crypto.randomUUID(), type: 'Counted', data: { n } }));
      for (let i = 0; i < events.length; i += 50) await store.appendToStream(`s-${i}`, events.slice(i, i + 50));
      const head = await store.headPosition();
      const sink = pipelinedSink(failBatch);
      const errors: unknown[] = [];
      const projector = createProjector({ store, sink, maxBatchSize: 20, retryDelayMs: 5, onError: (e) => errors.push(e) });
      projector.add(counting, 1, 0n);
      projector.start();
      await projector.caughtUp;
      // Caught up means committed: every event once, in log order, the checkpoint at the head.
      expect(sink.committed).toEqual(events.map((e) => e.data.n));
      expect(sink.checkpoints.at(-1)).toBe(head);
      expect(projector.position()).toBe(head);
      expect(projector.members()).toEqual([{ name: 'counting', build: 1, checkpoint: head }]);
      expect(errors.map(String)).toEqual([`Error: batch ${failBatch} failed`]);

      // Live appends go through the same way.
      await store.appendToStream('s-live', [{ id: crypto.randomUUID(), type: 'Counted', data: { n: 500 } }]);
      await projector.waitFor(await store.headPosition());
      expect(sink.committed.at(-1)).toBe(500);
      await projector.stop();
    } finally {
      await store.close();
      temp.cleanup();
    }
  });
});
