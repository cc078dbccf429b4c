import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCommands } from '../commands/index.ts';
import { tempEventStore } from '../testing/tempEventStore.ts';
import { propertyRuns } from '../testing/propertyRuns.ts';
import { chatOp, runChatOp } from '../testing/randomChatOps.ts';
import { allProjections } from './allProjections.ts';
import { startReadModels, type ReadModels } from './readModels.ts';

/** Every row of every live read-model table, in primary-key order. */
const dump = (readModels: ReadModels) =>
  Object.fromEntries(
    allProjections.flatMap((p) =>
      Object.entries(p.tables).map(([table, spec]) => [
        `${p.name}.${table}`,
        readModels.readStore.db.prepare(`SELECT * FROM "${readModels.readStore.table(p.name, table)}" ORDER BY ${spec.primaryKey.join(', ')}`).all(),
      ]),
    ),
  );

/**
 * For random command sequences, the read models built incrementally (small batches,
 * while commands run) equal those rebuilt from position 0 (one pass over the log):
 * every projection is a fold of the log.
 */
describe('projections are a fold of the log', () => {
  // The worker variant starts a thread per run (≈ 0.3 s): fewer runs.
  it.each([
    ['on the main thread', false, Math.max(50, Math.floor(propertyRuns / 4))],
    ['by a writer thread', true, Math.max(10, Math.floor(propertyRuns / 50))],
  ] as const)('incremental read models written %s equal a rebuild from position 0', async (_mode, writeInWorker, numRuns) => {
    await fc.assert(
      fc.asyncProperty(fc.array(chatOp, { minLength: 1, maxLength: 40 }), async (ops) => {
        const temp = tempEventStore();
        const store = temp.open();
        const live = startReadModels({ store, path: join(temp.dir, 'live.db'), writeInWorker });
        try {
          await live.ready;
          const commands = createCommands(store);
          const { chatId } = await commands.createGroup({ creatorId: 'ann', name: 'g', memberIds: ['bob', 'cat'] });
          const sent: string[] = [];
          const counter = { n: 0 };
          for (const op of ops) await runChatOp(commands, chatId, sent, op, counter);

          const head = await store.headPosition();
          await live.projector.waitFor(head);
          const rebuilt = startReadModels({ store, path: join(temp.dir, 'rebuilt.db') });
          try {
            await rebuilt.projector.waitFor(head);
            await rebuilt.ready;
            expect(dump(rebuilt)).toEqual(dump(live));
            // Loaded from scratch without secondary indexes, which were built once it caught up.
            const indexes = rebuilt.readStore.db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND name LIKE '%\\_\\_%' ESCAPE '\\'").get() as { n: number };
            expect(indexes.n).toBe(allProjections.flatMap((p) => Object.values(p.tables).flatMap((t) => t.indexes ?? [])).length);
            for (const s of await live.status()) expect(s.checkpoint).toBe(head);
            expect(live.writesOnWorker()).toBe(writeInWorker);
          } finally {
            await rebuilt.stop();
          }
        } finally {
          await live.stop();
          await store.close();
          temp.cleanup();
        }
      }),
      { numRuns },
    );
  }, 120_000);
});
