import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../workers/startTsWorker.ts';
import type { TableSpec } from '../projection.ts';
import { createBatchEncoder, transferList } from './batchCodec.ts';
import { markBulkLoad, unmarkBulkLoad } from './bulkLoad.ts';
import type { FromBulkLoadWorker, ToBulkLoadWorker } from './bulkLoadProtocol.ts';
import type { BuildBatch, SqliteReadStore } from './sqliteReadStore.ts';

export type IndexJob = { name: string; build: number; tables: Record<string, TableSpec> };

/**
 * The sink of a catch-up from position 0 into a file that holds nothing else. A batch
 * big enough to be worth it starts a worker thread that applies batches on its own
 * connection, without syncs (bulkLoad.ts): the main thread reads and projects the next
 * batch while the worker writes this one, which nearly halves a long catch-up on two
 * cores. Batches commit in order; `applyBatch` answers a promise of the commit then.
 * Until the worker is up, and after it failed or finished, batches are applied on the
 * main thread as usual. The worker also builds the secondary indexes at the end.
 */
export const createBulkLoader = ({ readStore, path, minWrites = 1_000 }: { readStore: SqliteReadStore; path: string; minWrites?: number }) => {
  let worker: Worker | undefined;
  let ready = false;
  let broken = false;
  let exited = false;
  let finishing: Promise<void> | undefined;
  let onFinished: ((m: Extract<FromBulkLoadWorker, { type: 'finished' }>) => void) | undefined;
  const encode = createBatchEncoder();
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 0;

  /**
   * A failed batch fails every later one too (the worker applies nothing after it), all
   * at once: the projector hears of it before it hands over another batch, and re-projects
   * from what was committed. Later batches then go to the main thread.
   */
  const failAll = (error: Error) => {
    broken = true;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  const start = () => {
    markBulkLoad(path); // before the worker can write anything unsynced
    worker = startTsWorker(new URL('./bulkLoadWorker.ts', import.meta.url), { path });
    worker.on('message', (m: FromBulkLoadWorker) => {
      if (m.type === 'ready') ready = true;
      else if (m.type === 'committed') {
        pending.get(m.id)?.resolve();
        pending.delete(m.id);
      } else if (m.type === 'failed') failAll(new Error(`bulk load: ${m.error}`));
      else onFinished?.(m);
    });
    // On exit every message the worker posted has been handled: what was not acknowledged was not committed.
    let crash: unknown;
    worker.on('error', (e) => (crash = e));
    worker.on('exit', () => {
      exited = true;
      if (pending.size > 0 || crash !== undefined) failAll(new Error(`bulk-load worker stopped: ${String(crash)}`));
      onFinished?.({ type: 'finished', error: 'the worker stopped' });
    });
  };

  const send = (batches: readonly BuildBatch[]): Promise<void> => {
    const id = nextId++;
    const batch = encode(batches);
    const committed = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
    worker!.postMessage({ type: 'batch', id, batch } satisfies ToBulkLoadWorker, transferList(batch));
    return committed;
  };

  const writesIn = (batches: readonly BuildBatch[]) => batches.reduce((n, b) => n + b.writes.length, 0);

  /** Stops the worker after its queue; answers whether it built `indexes`. */
  const stopWorker = async (indexes: readonly IndexJob[]): Promise<boolean> => {
    // Queued behind every batch already sent: those commit (or fail) first.
    const done = new Promise<Extract<FromBulkLoadWorker, { type: 'finished' }>>((resolve) => {
      onFinished = resolve;
      if (exited) resolve({ type: 'finished', error: 'the worker stopped' });
    });
    const build = !broken;
    if (!exited) worker!.postMessage({ type: 'finish', indexes: build ? [...indexes] : [] } satisfies ToBulkLoadWorker);
    const { error } = await done;
    await worker!.terminate();
    return build && !broken && error === undefined;
  };

  /** Stops the worker (building `indexes` there unless it failed), syncs the file, drops the marker. */
  const finish = (indexes: readonly IndexJob[]): Promise<void> =>
    (finishing ??= (async () => {
      const built = worker ? await stopWorker(indexes) : false;
      if (!built) for (const job of indexes) readStore.createIndexes(job, job.build);
      if (!worker) return;
      // The worker wrote without syncs: a checkpoint syncs the WAL and the file, then the marker can go.
      readStore.db.pragma('wal_checkpoint(TRUNCATE)');
      unmarkBulkLoad(path);
    })());

  return {
    applyBatch(batches: readonly BuildBatch[]): void | Promise<void> {
      // Behind the worker's last batches and its index builds: then on the main thread.
      if (finishing) {
        const apply = () => readStore.applyBatch(batches);
        return finishing.then(apply, apply);
      }
      if (!worker && writesIn(batches) >= minWrites) start();
      if (worker && ready && !broken) return send(batches);
      readStore.applyBatch(batches);
    },
    finish,
    /** Whether a worker was started (for tests). */
    usedWorker: () => worker !== undefined,
  };
};

export type BulkLoader = ReturnType<typeof createBulkLoader>;
