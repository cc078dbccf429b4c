import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatOp } from '../../testing/randomChatOps.ts';
import { scratchDir } from '../../testing/tempEventStore.ts';
import type { Projection } from '../projection.ts';
import type { BuildBatch } from '../sqlite/sqliteReadStore.ts';
import { patch, put, remove, upsert, type Write } from '../write.ts';
import { answers, dump } from './answers.ts';
import { planLog, projectLog, recordChatLog, tornWrites, type ChatLog } from './chatLog.ts';
import { sqliteFacade, type ReadStoreFacade } from './readStoreFacade.ts';

/** A projection used only to exercise the write ops: a two-column key (for key-prefix deletes) and both column types. */
export const itemsProjection: Projection = {
  name: 'contract',
  version: 3,
  tables: {
    items: {
      columns: { a: 'text', b: 'integer', label: 'text', hi: 'integer', lo: 'integer' },
      primaryKey: ['a', 'b'],
      indexes: [['label'], ['a', 'hi']],
    },
    other: { columns: { id: 'text', v: 'integer' }, primaryKey: ['id'] },
  },
  project: () => [],
};

const batch = (build: number, checkpoint: bigint, writes: Write[]): BuildBatch[] => [{ name: 'contract', build, writes, checkpoint }];

const byKey = (rows: Record<string, unknown>[]) =>
  [...rows].sort((x, y) => String(x.a).localeCompare(String(y.a)) || Number(x.b) - Number(y.b) || String(x.id).localeCompare(String(y.id)));

/** The property's viewers of history and messages: a creator, a member added later, and a stranger (fast enough on FerretDB). */
const LIGHT = { viewers: ['ann', 'dan', 'zed'] };

export type ContractOptions = {
  /** fast-check runs of the cross-store property (at least 50). */
  numRuns?: number;
  /** Longest random command sequence of the property. */
  maxOps?: number;
};

/**
 * One contract for every read store: the build lifecycle, each write op, checkpoints,
 * replays after a crash between writes and checkpoints, and every query on read models
 * projected from real events, answered exactly like the SQLite store (the reference).
 * `open` gives a fresh, empty store each call.
 */
export const readStoreContract = (name: string, open: () => Promise<ReadStoreFacade>, { numRuns = 50, maxOps = 25 }: ContractOptions = {}) => {
  const withStore = async <T>(body: (store: ReadStoreFacade) => Promise<T>): Promise<T> => {
    const store = await open();
    try {
      return await body(store);
    } finally {
      await store.close();
    }
  };

  /** The reference: SQLite, in a scratch dir. */
  const withReference = async <T>(body: (store: ReadStoreFacade) => Promise<T>): Promise<T> => {
    const dir = scratchDir('contract-ref');
    const store = sqliteFacade(join(dir, 'read.db'));
    try {
      return await body(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };

  const referenceAnswers = (log: ChatLog, sizes: readonly number[], options?: Parameters<typeof answers>[2]) =>
    withReference(async (ref) => {
      const { builds } = await projectLog(ref, log.events, sizes);
      return { answers: await answers(ref.queries, log, options), dump: await dump(ref, builds) };
    });

  describe(`read store contract: ${name}`, () => {
    describe('builds', () => {
      it('creates builds beside each other, switches the live one, retires and drops', () =>
        withStore(async (store) => {
          expect(await store.builds()).toEqual([]);
          expect(await store.liveBuild('contract')).toBeUndefined();

          const first = await store.createBuild(itemsProjection);
          expect(first).toBe(1);
          expect(await store.builds()).toEqual([{ name: 'contract', build: 1, schemaVersion: 3, checkpoint: 0n, state: 'building' }]);
          expect(await store.tableExists('contract', 1, 'items')).toBe(true);
          expect(await store.tableExists('contract', 1, 'other')).toBe(true);
          expect(await store.liveBuild('contract')).toBeUndefined();

          await store.markLive('contract', first);
          expect(await store.liveBuild('contract')).toBe(1);

          const second = await store.createBuild(itemsProjection);
          expect(second).toBe(2);
          expect(await store.liveBuild('contract')).toBe(1);
          expect((await store.builds()).map((b) => [b.build, b.state])).toEqual([
            [1, 'live'],
            [2, 'building'],
          ]);

          await store.markLive('contract', second);
          expect(await store.liveBuild('contract')).toBe(2);
          expect((await store.builds()).map((b) => [b.build, b.state])).toEqual([
            [1, 'retired'],
            [2, 'live'],
          ]);

          await store.dropBuild(itemsProjection, first);
          expect((await store.builds()).map((b) => [b.build, b.state])).toEqual([[2, 'live']]);
          expect(await store.tableExists('contract', 1, 'items')).toBe(false);
          expect(await store.tableExists('contract', 2, 'items')).toBe(true);
          expect(await store.liveBuild('contract')).toBe(2);

          // A build number is never reused while a higher one exists.
          expect(await store.createBuild(itemsProjection)).toBe(3);
          await store.dropBuild(itemsProjection, 2);
          expect(await store.liveBuild('contract')).toBeUndefined();
          expect(await store.tableExists('contract', 2, 'items')).toBe(false);
        }));

      it('creates the secondary indexes with the build, or later with createIndexes (deferred, for a bulk load)', () =>
        withStore(async (store) => {
          const expected = [['a', 'hi'], ['label']];
          const eager = await store.createBuild(itemsProjection);
          expect(await store.secondaryIndexes('contract', eager, 'items')).toEqual(expected);
          expect(await store.secondaryIndexes('contract', eager, 'other')).toEqual([]);

          const deferred = await store.createBuild(itemsProjection, { deferIndexes: true });
          expect(await store.secondaryIndexes('contract', deferred, 'items')).toEqual([]);
          // The primary key holds without them: a put of the same key replaces.
          await store.applyBatch(batch(deferred, 1n, [put('items', { a: 'k', b: 1, label: 'x', hi: 1, lo: 1 }), put('items', { a: 'k', b: 1, label: 'y', hi: 1, lo: 1 })]));
          expect(await store.rows('contract', deferred, 'items')).toEqual([{ a: 'k', b: 1, label: 'y', hi: 1, lo: 1 }]);
          await store.createIndexes(itemsProjection, deferred);
          await store.createIndexes(itemsProjection, deferred); // idempotent
          expect(await store.secondaryIndexes('contract', deferred, 'items')).toEqual(expected);
        }));

      it('drops at createIndexes an index a former version declared, and builds the new ones', () =>
        withStore(async (store) => {
          const build = await store.createBuild(itemsProjection);
          const items = itemsProjection.tables.items!;
          const next: Projection = { ...itemsProjection, tables: { ...itemsProjection.tables, items: { ...items, indexes: [['label'], ['b']] } } };
          await store.createIndexes(next, build);
          expect(await store.secondaryIndexes('contract', build, 'items')).toEqual([['b'], ['label']]);
        }));

      it('keeps builds of different projections apart', () =>
        withStore(async (store) => {
          const other: Projection = { ...itemsProjection, name: 'contract2' };
          const a = await store.createBuild(itemsProjection);
          const b = await store.createBuild(other);
          expect([a, b]).toEqual([1, 1]);
          await store.applyBatch([
            { name: 'contract', build: 1, writes: [put('other', { id: 'x', v: 1 })], checkpoint: 5n },
            { name: 'contract2', build: 1, writes: [put('other', { id: 'y', v: 2 })], checkpoint: 9n },
          ]);
          expect(await store.rows('contract', 1, 'other')).toEqual([{ id: 'x', v: 1 }]);
          expect(await store.rows('contract2', 1, 'other')).toEqual([{ id: 'y', v: 2 }]);
          expect((await store.builds()).map((x) => [x.name, x.checkpoint])).toEqual([
            ['contract', 5n],
            ['contract2', 9n],
          ]);
        }));
    });

    describe('writes', () => {
      it('put inserts or replaces the whole row; missing columns take the defaults (integer 0, text null)', () =>
        withStore(async (store) => {
          const build = await store.createBuild(itemsProjection);
          await store.applyBatch(
            batch(build, 1n, [
              put('items', { a: 'k', b: 1, label: 'one', hi: 5, lo: 2 }),
              put('items', { a: 'k', b: 2, label: 'two', hi: 1, lo: 1 }),
              put('items', { a: 'k', b: 1, label: null, hi: 7 }),
            ]),
          );
          expect(byKey(await store.rows('contract', build, 'items'))).toEqual([
            { a: 'k', b: 1, label: null, hi: 7, lo: 0 },
            { a: 'k', b: 2, label: 'two', hi: 1, lo: 1 },
          ]);
        }));

      it('patch updates an existing row and is a no-op for a missing one', () =>
        withStore(async (store) => {
          const build = await store.createBuild(itemsProjection);
          await store.applyBatch(
            batch(build, 1n, [
              put('items', { a: 'k', b: 1, label: 'one', hi: 5, lo: 2 }),
              patch('items', { a: 'k', b: 1 }, { label: 'uno', lo: 3 }),
              patch('items', { a: 'k', b: 9 }, { label: 'ghost' }),
            ]),
          );
          expect(byKey(await store.rows('contract', build, 'items'))).toEqual([{ a: 'k', b: 1, label: 'uno', hi: 5, lo: 3 }]);
        }));

      it('upsert inserts (defaults for untouched columns) or updates with set and max', () =>
        withStore(async (store) => {
          const build = await store.createBuild(itemsProjection);
          await store.applyBatch(
            batch(build, 1n, [
              upsert('items', { a: 'k', b: 1 }, { max: { hi: 4 } }),
              upsert('items', { a: 'k', b: 2 }, { set: { label: 'two' }, max: { hi: 3, lo: 8 } }),
              upsert('items', { a: 'k', b: 1 }, { max: { hi: 2 } }),
              upsert('items', { a: 'k', b: 2 }, { set: { label: 'deux' }, max: { hi: 6, lo: 1 } }),
              upsert('items', { a: 'k', b: 3 }, {}),
            ]),
          );
          expect(byKey(await store.rows('contract', build, 'items'))).toEqual([
            { a: 'k', b: 1, label: null, hi: 4, lo: 0 },
            { a: 'k', b: 2, label: 'deux', hi: 6, lo: 8 },
            { a: 'k', b: 3, label: null, hi: 0, lo: 0 },
          ]);
        }));

      it('delete removes the row with the key, or every row with a key prefix', () =>
        withStore(async (store) => {
          const build = await store.createBuild(itemsProjection);
          await store.applyBatch(
            batch(build, 1n, [
              put('items', { a: 'k', b: 1, label: 'x', hi: 0, lo: 0 }),
              put('items', { a: 'k', b: 2, label: 'x', hi: 0, lo: 0 }),
              put('items', { a: 'm', b: 1, label: 'x', hi: 0, lo: 0 }),
              put('items', { a: 'm', b: 2, label: 'x', hi: 0, lo: 0 }),
              remove('items', { a: 'm', b: 2 }),
              remove('items', { a: 'k' }),
              remove('items', { a: 'nobody' }),
            ]),
          );
          expect(byKey(await store.rows('contract', build, 'items'))).toEqual([{ a: 'm', b: 1, label: 'x', hi: 0, lo: 0 }]);
        }));

      it('keeps the order of ops on one row within a batch, across tables', () =>
        withStore(async (store) => {
          const build = await store.createBuild(itemsProjection);
          await store.applyBatch(
            batch(build, 1n, [
              put('items', { a: 'k', b: 1, label: 'a', hi: 1, lo: 1 }),
              put('other', { id: 'o', v: 1 }),
              remove('items', { a: 'k', b: 1 }),
              put('other', { id: 'o', v: 2 }),
              put('items', { a: 'k', b: 1, label: 'b', hi: 2, lo: 2 }),
              patch('items', { a: 'k', b: 1 }, { label: 'c' }),
              remove('other', { id: 'o' }),
            ]),
          );
          expect(await store.rows('contract', build, 'items')).toEqual([{ a: 'k', b: 1, label: 'c', hi: 2, lo: 2 }]);
          expect(await store.rows('contract', build, 'other')).toEqual([]);
        }));
    });

    describe('checkpoints', () => {
      it('a batch saves every build its checkpoint, with its writes; an empty batch moves the checkpoint only', () =>
        withStore(async (store) => {
          const build = await store.createBuild(itemsProjection);
          await store.applyBatch(batch(build, 41n, [put('other', { id: 'o', v: 1 })]));
          expect((await store.builds())[0]!.checkpoint).toBe(41n);
          await store.applyBatch(batch(build, 2n ** 40n + 7n, []));
          expect((await store.builds())[0]!.checkpoint).toBe(2n ** 40n + 7n);
          expect(await store.rows('contract', build, 'other')).toEqual([{ id: 'o', v: 1 }]);
        }));
    });

    describe('read models of real events', () => {
      it('answers every query like the SQLite store, and replays after a crash change nothing', async () => {
        // A fixed, busy scenario: every kind of command, several direct chats, receipts and edits.
        const ops = fc.sample(fc.array(chatOp, { minLength: 60, maxLength: 60 }), { numRuns: 1, seed: 10 })[0]!;
        const log = await recordChatLog(ops);
        const reference = await referenceAnswers(log, [5]);
        await withStore(async (store) => {
          const { builds, batches } = await projectLog(store, log.events, [5]);
          expect(await dump(store, builds)).toEqual(reference.dump);
          const got = await answers(store.queries, log);
          expect(got).toEqual(reference.answers);
          // Sanity: the scenario exercises what it should.
          expect(got.perChat.some((c) => c.history.some((h) => h.messages.some((m) => m.status === 'read')))).toBe(true);
          expect(got.perUser.some((u) => u.inbox!.chats.some((c) => c.unread_count > 0))).toBe(true);
          expect(got.perUser.some((u) => u.inboxPages.length > 1)).toBe(true);

          // Crash between the writes and the checkpoints of the last 4 batches: all of them again.
          for (const b of batches.slice(-4)) await store.applyBatch(b);
          expect(await dump(store, builds)).toEqual(reference.dump);
          expect(await answers(store.queries, log)).toEqual(reference.answers);
        });
      });

      it('converges after a crash in the middle of a batch (a prefix of its writes applied, checkpoint not saved)', async () => {
        const ops = fc.sample(fc.array(chatOp, { minLength: 40, maxLength: 40 }), { numRuns: 1, seed: 7 })[0]!;
        const log = await recordChatLog(ops);
        const reference = await referenceAnswers(log, [log.events.length]);
        await withStore(async (store) => {
          const { builds, batches } = await projectLog(store, log.events, [log.events.length]);
          // Replay the whole log as one batch after having applied, for every cut, its prefix again.
          const whole = batches[0]!;
          const total = whole.reduce((n, b) => n + b.writes.length, 0);
          for (const cut of [1, Math.floor(total / 3), Math.floor(total / 2), total - 1]) {
            let left = cut;
            const prefix = whole.map((b) => {
              const writes = b.writes.slice(0, Math.max(0, left));
              left -= writes.length;
              return { ...b, writes, checkpoint: 0n };
            });
            await store.applyBatch(prefix);
            await store.applyBatch(whole);
            expect(await dump(store, builds)).toEqual(reference.dump);
          }
          expect(await answers(store.queries, log)).toEqual(reference.answers);
        });
      });

      it(`property: random command sequences answer like SQLite, also after a torn write and after replaying the last k batches (${numRuns} runs)`, async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(chatOp, { minLength: 1, maxLength: maxOps }),
            fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
            fc.integer({ min: 1, max: 7 }),
            fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }),
            async (ops, sizes, k, fractions) => {
              const log = await recordChatLog(ops);
              const reference = await referenceAnswers(log, [1_000], LIGHT);
              await withStore(async (store) => {
                const { builds, batches } = await planLog(store, log.events, sizes);
                // Crash while writing the last k batches: the batches before them are applied
                // with their checkpoints; of the last k, each table got a prefix of its writes.
                const before = batches.slice(0, Math.max(0, batches.length - k));
                const last = batches.slice(before.length);
                for (const b of before) await store.applyBatch(b);
                const checkpoints = new Map((before.at(-1) ?? []).map((b) => [b.name, b.checkpoint]));
                let i = 0;
                await store.applyBatch(tornWrites(last, () => fractions[i++ % fractions.length]!, checkpoints));
                // The restarted projector replays from the old checkpoints.
                for (const b of last) await store.applyBatch(b);
                expect(await dump(store, builds)).toEqual(reference.dump);
                expect(await answers(store.queries, log, LIGHT)).toEqual(reference.answers);
                // Crash between the writes and the checkpoints of the last k batches: all of them again.
                for (const b of last) await store.applyBatch(b);
                expect(await dump(store, builds)).toEqual(reference.dump);
                expect(await answers(store.queries, log, LIGHT)).toEqual(reference.answers);
                for (const b of await store.builds()) expect(b.checkpoint).toBe(log.events.at(-1)!.position);
              });
            },
          ),
          { numRuns: Math.max(50, numRuns) },
        );
      }, 600_000);
    });
  });
};
