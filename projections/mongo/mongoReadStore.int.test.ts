import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../testing/propertyRuns.ts';
import { describeWithServer } from '../../testing/servers/serverOrSkip.ts';
import { startFerretDb } from '../../testing/servers/startFerretDb.ts';
import { mongoFacade } from '../contract/mongoFacade.ts';
import { itemsProjection, readStoreContract } from '../contract/readStoreContract.ts';
import { upsert } from '../write.ts';
import { UnsupportedWriteError } from './mongoReadStore.ts';

describeWithServer('ferretdb', startFerretDb, (getServer) => {
  let client: MongoClient;
  let n = 0;
  beforeAll(async () => {
    client = new MongoClient(getServer().url, { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
  });
  const open = () => mongoFacade(client, `read_contract_${process.pid}_${n++}`);

  // 50 runs by default (FerretDB answers a query in about a millisecond, ~0.4 s per run); FC_RUNS=20000 gives 1,000.
  readStoreContract('mongodb (FerretDB)', open, { numRuns: Math.max(50, Math.floor(propertyRuns / 20)) });

  describe('mongodb read store specifics', () => {
    it('creates a unique primary-key index and every secondary index of the TableSpec', async () => {
      const store = await open();
      try {
        const build = await store.createBuild(itemsProjection);
        const indexes = await store.store.db.collection(`contract_${build}_items`).indexes();
        const byName = Object.fromEntries(indexes.map((i) => [i.name, i]));
        expect(byName.pk).toMatchObject({ key: { a: 1, b: 1 }, unique: true });
        expect(byName.ix_label).toMatchObject({ key: { label: 1 } });
        expect(byName.ix_a_hi).toMatchObject({ key: { a: 1, hi: 1 } });
      } finally {
        await store.close();
      }
    });

    it('refuses inc before writing anything of the batch', async () => {
      const store = await open();
      try {
        const build = await store.createBuild(itemsProjection);
        await expect(
          store.applyBatch([
            {
              name: 'contract',
              build,
              checkpoint: 3n,
              writes: [upsert('other', { id: 'a' }, { max: { v: 1 } }), upsert('other', { id: 'b' }, { inc: { v: 1 } })],
            },
          ]),
        ).rejects.toBeInstanceOf(UnsupportedWriteError);
        expect(await store.rows('contract', build, 'other')).toEqual([]);
        expect((await store.builds())[0]!.checkpoint).toBe(0n);
      } finally {
        await store.close();
      }
    });

    it('reads the highest live build when a switch was cut between its two updates', async () => {
      const store = await open();
      try {
        await store.createBuild(itemsProjection);
        await store.createBuild(itemsProjection);
        await store.markLive('contract', 1);
        // markLive(2) went as far as its first update (the new build live), not the second (retire the old).
        await store.store.db.collection('projection_builds').updateOne({ name: 'contract', build: 2 }, { $set: { state: 'live' } });
        await store.store.refresh();
        expect(store.store.liveBuild('contract')).toBe(2);
        expect(store.store.table('contract', 'items')).toBe('contract_2_items');
      } finally {
        await store.close();
      }
    });

    it('refuses a patch or delete without a key', async () => {
      const store = await open();
      try {
        const build = await store.createBuild(itemsProjection);
        await store.applyBatch([{ name: 'contract', build, checkpoint: 1n, writes: [upsert('other', { id: 'a' }, { max: { v: 1 } })] }]);
        await expect(
          store.applyBatch([{ name: 'contract', build, checkpoint: 2n, writes: [{ op: 'delete', table: 'other', key: {} }] }]),
        ).rejects.toBeInstanceOf(UnsupportedWriteError);
        expect(await store.rows('contract', build, 'other')).toEqual([{ id: 'a', v: 1 }]);
      } finally {
        await store.close();
      }
    });
  });
}, { startTimeoutMs: 30_000 });
