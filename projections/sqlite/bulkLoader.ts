import { markBulkLoad, unmarkBulkLoad } from './bulkLoad.ts';
import type { BuildBatch, SqliteReadStore } from './sqliteReadStore.ts';
import { startWriterThread, type IndexJob, type WriterThread } from './writerThread.ts';

export type { IndexJob } from './writerThread.ts';

/**
 * The sink of a catch-up from position 0 into a file that holds nothing else. A batch
 * big enough to be worth it starts a writer thread that applies batches on its own
 * connection, without syncs (bulkLoad.ts): the main thread reads and projects the next
 * batch while the worker writes this one, which nearly halves a long catch-up on two
 * cores. Batches commit in order; `applyBatch` answers a promise of the commit then.
 * Until the worker is up, and after it failed or finished, batches are applied on the
 * main thread as usual. The worker also builds the secondary indexes at the end.
 */
export const createBulkLoader = ({ readStore, path, minWrites = 1_000 }: { readStore: SqliteReadStore; path: string; minWrites?: number }) => {
  let thread: WriterThread | undefined;
  let finishing: Promise<void> | undefined;

  const writesIn = (batches: readonly BuildBatch[]) => batches.reduce((n, b) => n + b.writes.length, 0);

  /** Stops the worker (building `indexes` there unless it failed), syncs the file, drops the marker. */
  const finish = (indexes: readonly IndexJob[]): Promise<void> =>
    (finishing ??= (async () => {
      const built = thread ? await thread.stop(indexes) : false;
      if (!built) for (const job of indexes) readStore.createIndexes(job, job.build);
      if (!thread) return;
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
      if (!thread && writesIn(batches) >= minWrites) {
        markBulkLoad(path); // before the worker can write anything unsynced
        thread = startWriterThread({ path, bulk: true });
      }
      if (thread?.usable()) return thread.send(batches);
      readStore.applyBatch(batches);
    },
    finish,
    /** Whether a worker was started (for tests). */
    usedWorker: () => thread !== undefined,
  };
};

export type BulkLoader = ReturnType<typeof createBulkLoader>;
