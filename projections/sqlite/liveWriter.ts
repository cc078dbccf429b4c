import type { BuildBatch, SqliteReadStore } from './sqliteReadStore.ts';
import { startWriterThread } from './writerThread.ts';

/**
 * The sink of the live projector when read models are written on their own thread
 * (`CHAT_PROJECT_IN_WORKER`): the inserts and commits of every batch leave the main
 * thread, which keeps only projecting and encoding. Batches commit in order;
 * `applyBatch` answers a promise of the commit. Before the worker is up, and after it
 * failed, batches are applied on the main thread: the switch never reorders commits,
 * since a failure rejects every batch still pending before any is applied here.
 */
export const createLiveWriter = ({ readStore, path }: { readStore: SqliteReadStore; path: string }) => {
  const thread = startWriterThread({ path, bulk: false });
  let stopped = false;
  return {
    applyBatch(batches: readonly BuildBatch[]): void | Promise<void> {
      if (!stopped && thread.usable()) return thread.send(batches);
      readStore.applyBatch(batches);
    },
    /** Resolves once the worker is up (or failed to start). */
    up: thread.up,
    /** Batches go to the worker now (it is up and has not failed). */
    onWorker: () => !stopped && thread.usable(),
    /** Commits what was sent, then stops the worker. */
    async close(): Promise<void> {
      stopped = true;
      await thread.stop();
    },
  };
};

export type LiveWriter = ReturnType<typeof createLiveWriter>;
