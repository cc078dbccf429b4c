/**
 * Child process of the durability test: appends forever and prints `ack <event id>` only
 * after the append promise resolved, i.e. after COMMIT returned. The parent SIGKILLs it
 * mid-flight and checks that every acked event survived.
 *
 * Usage: node --import tsx appendUntilKilled.ts <db path> <generation>
 */
import type { ExpectedRevision } from '../../eventStore.ts';
import { createSqliteEventStore } from '../sqliteEventStore.ts';

const [path, generation = '0'] = process.argv.slice(2);
if (!path) throw new Error('usage: appendUntilKilled.ts <db path> <generation>');

const store = createSqliteEventStore({ path });
// Pipes are synchronous on Linux: the line is in the pipe before the next append starts.
const ack = (id: string) => process.stdout.write(`ack ${id}\n`);

/** One stream, one event at a time, exact expected revisions (continuing an earlier generation's stream). */
const appendOneByOne = async () => {
  const [last] = await store.readStream('solo', { direction: 'backwards', maxCount: 1 });
  let expectedRevision: ExpectedRevision = last ? last.revision : 'no_stream';
  for (let n = 0; ; n++) {
    const id = `g${generation}-solo-${n}`;
    const result = await store.appendToStream('solo', [{ id, type: 'Ticked', data: { n } }], { expectedRevision });
    expectedRevision = result.nextExpectedRevision;
    ack(id);
  }
};

/** Rounds of 25 concurrent two-event appends over 5 streams: each round is one group commit. */
const appendInBatches = async () => {
  for (let round = 0; ; round++) {
    await Promise.all(
      Array.from({ length: 25 }, async (_, i) => {
        const ids = [`g${generation}-batch-${round}-${i}-a`, `g${generation}-batch-${round}-${i}-b`];
        await store.appendToStream(
          `batch-${i % 5}`,
          ids.map((id) => ({ id, type: 'Batched', data: { round, i } })),
          { expectedRevision: 'any' },
        );
        ids.forEach(ack);
      }),
    );
  }
};

process.stdout.write('ready\n');
await Promise.all([appendOneByOne(), appendInBatches()]);
