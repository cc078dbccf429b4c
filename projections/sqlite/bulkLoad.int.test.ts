import Database from 'better-sqlite3';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateHistory, planHistory } from '../../bench/history/generateHistory.ts';
import { scratchDir, tempEventStore } from '../../testing/tempEventStore.ts';
import { allProjections } from '../allProjections.ts';
import { historyProjection } from '../history/historyProjection.ts';
import { startReadModels, type ReadModels } from '../readModels.ts';
import { put, type Write } from '../write.ts';
import { createBulkLoader } from './bulkLoader.ts';
import { createSqliteReadStore, type BuildBatch } from './sqliteReadStore.ts';

const dir = scratchDir('bulk-load');

/** Every row of every live read-model table, with its secondary indexes, in primary-key order. */
const dump = (readModels: ReadModels) =>
  Object.fromEntries(
    allProjections.flatMap((p) =>
      Object.entries(p.tables).map(([table, spec]) => {
        const physical = readModels.readStore.table(p.name, table);
        const rows = readModels.readStore.db.prepare(`SELECT * FROM "${physical}" ORDER BY ${spec.primaryKey.join(', ')}`).all();
        const indexes = readModels.readStore.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name").pluck().all(physical);
        return [`${p.name}.${table}`, { rows, indexes: (indexes as string[]).map((sql) => sql.replaceAll(physical, '<table>')) }];
      }),
    ),
  );
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const message = (seq: number, content = 'hi'): Write =>
  put('messages', { chat_id: 'c', seq, message_id: `m${seq}`, sender_id: 'ann', client_msg_id: `k${seq}`, message_type: 'text', content, media_id: null, reply_to: null, timestamp: 't', edited_at: null, deleted: 0 });

/** A fresh file with one history build, and a bulk loader that starts its worker at 10 writes. */
const fresh = () => {
  const path = join(dir, `read-${n++}.db`);
  const readStore = createSqliteReadStore(path);
  const build = readStore.createBuild(historyProjection, { deferIndexes: true });
  readStore.markLive('history', build);
  const loader = createBulkLoader({ readStore, path, minWrites: 10 });
  let seq = 0;
  /** The next `count` messages as one batch. */
  const batch = (count = 20): BuildBatch[] => {
    const writes = Array.from({ length: count }, () => message(++seq));
    return [{ name: 'history', build, writes, checkpoint: BigInt(seq) }];
  };
  const count = () => readStore.db.prepare(`SELECT COUNT(*) FROM "${readStore.table('history', 'messages')}"`).pluck().get() as number;
  return { path, readStore, build, loader, batch, count, sent: () => seq };
};

/** Applies batches until the worker takes one (it starts on the first big batch and answers once up). */
const untilTheWorkerTakesOne = async (f: ReturnType<typeof fresh>) => {
  for (;;) {
    const done = f.loader.applyBatch(f.batch());
    if (done) return done;
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('bulk load of read models from scratch', () => {
  it('applies batches on a worker, in order, then builds the indexes there, syncs the file and drops the marker', async () => {
    const f = fresh();
    await untilTheWorkerTakesOne(f);
    expect(existsSync(`${f.path}.bulk-load`)).toBe(true);
    const commits = [f.loader.applyBatch(f.batch()), f.loader.applyBatch(f.batch(5)), f.loader.applyBatch(f.batch())];
    await Promise.all(commits);
    await f.loader.finish([{ name: 'history', build: f.build, tables: historyProjection.tables }]);
    expect(existsSync(`${f.path}.bulk-load`)).toBe(false);
    expect(f.count()).toBe(f.sent());
    expect(f.readStore.builds()[0]!.checkpoint).toBe(BigInt(f.sent()));
    const indexes = f.readStore.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'history%'").pluck().all();
    expect(indexes).toHaveLength(historyProjection.tables.messages!.indexes!.length);
    // After finishing, batches are applied on the main thread again.
    await f.loader.applyBatch(f.batch());
    expect(f.count()).toBe(f.sent());
    f.readStore.close();
  });

  it('a failed batch fails every later one, and the main thread takes over', async () => {
    const f = fresh();
    await untilTheWorkerTakesOne(f);
    const before = f.count();
    const bad: BuildBatch[] = [{ name: 'history', build: f.build, writes: [put('no_such_table', { a: 1 })], checkpoint: 999n }];
    const outcomes = await Promise.allSettled([f.loader.applyBatch(bad), f.loader.applyBatch(f.batch())]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(f.count()).toBe(before);
    expect(f.loader.applyBatch(f.batch(3))).toBeUndefined();
    expect(f.count()).toBe(before + 3);
    await f.loader.finish([]);
    expect(existsSync(`${f.path}.bulk-load`)).toBe(false);
    f.readStore.close();
  });

  it('after a crash mid-load the file is discarded: the next start rebuilds from the log', async () => {
    const f = fresh();
    await untilTheWorkerTakesOne(f);
    // What a crash leaves: the connections gone without finishing.
    f.readStore.db.close();
    expect(existsSync(`${f.path}.bulk-load`)).toBe(true);

    const reopened = createSqliteReadStore(f.path);
    expect(reopened.builds()).toEqual([]);
    expect(existsSync(`${f.path}.bulk-load`)).toBe(false);
    reopened.close();
    const check = new Database(f.path);
    expect(check.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'history%'").pluck().get()).toBe(0);
    check.close();
  });

  it('small batches never start a worker', async () => {
    const f = fresh();
    expect(f.loader.applyBatch(f.batch(9))).toBeUndefined();
    await f.loader.finish([]);
    expect(f.loader.usedWorker()).toBe(false);
    expect(existsSync(`${f.path}.bulk-load`)).toBe(false);
    expect(f.count()).toBe(9);
    f.readStore.close();
  });
});

describe('startReadModels on a fresh file', () => {
  it('loads a long log through the worker into the same read models as projecting it as it grew', async () => {
    const temp = tempEventStore();
    const store = temp.open();
    try {
      // Projected as the log grows (no backlog, so no worker), then the same log loaded from 0.
      const live = startReadModels({ store, path: join(temp.dir, 'live.db') });
      await live.ready;
      await generateHistory(store, planHistory(6_000, 300, 7));
      const head = await store.headPosition();
      await live.projector.waitFor(head, 30_000);

      const path = join(temp.dir, 'loaded.db');
      const loaded = startReadModels({ store, path });
      await loaded.ready;
      expect(existsSync(`${path}.bulk-load`)).toBe(false);
      expect(loaded.readStore.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(dump(loaded)).toEqual(dump(live));
      expect(await loaded.status()).toEqual(await live.status());
      await Promise.all([live.stop(), loaded.stop()]);
    } finally {
      await store.close();
      temp.cleanup();
    }
  }, 60_000);
});
