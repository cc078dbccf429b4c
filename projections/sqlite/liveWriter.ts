import type { BuildBatch, SqliteReadStore } from './sqliteReadStore.ts';
import { startWriterThread } from './writerThread.ts';

/**
 * The sink of the live projector when read models are written on their own thread
 * (`CHAT_PROJECT_IN_WORKER`): the inserts and commits of every batch leave the main
 * thread, which keeps only projecting and encoding. Batches commit in order;
 * `applyBatch` answers a promise of the commit. Before the worker is up, and after it
 * failed, batches are applied on the main thread: the switch never reorders commits,
 * since a failure rejects every batch still pending before any is applied here.
 *
 * Batches are sent at most every `minIntervalMs`: a commit costs about as much as a
 * dozen rows, and under load small batches would spend a core on commits. Meanwhile the
 * projector (two batches in flight at most) waits, and its next page holds every event
 * committed since: reads that wait for the projection wait that much longer.
 */
export const createLiveWriter = ({ readStore, path, minIntervalMs = 10 }: { readStore: SqliteReadStore; path: string; minIntervalMs?: number }) => {
  const thread = startWriterThread({ path, bulk: false });
  let stopped = false;
  let nextSendAt = 0;
  let queue: Promise<void> = Promise.resolve();

  const sendPaced = async (batches: readonly BuildBatch[]): Promise<void> => {
    const wait = nextSendAt - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    nextSendAt = performance.now() + minIntervalMs;
    return thread.send(batches);
  };

  return {
    applyBatch(batches: readonly BuildBatch[]): void | Promise<void> {
      if (stopped || !thread.usable()) return readStore.applyBatch(batches);
      // One after the other, each after the previous one's commit: a batch never overtakes another.
      const settled = () => undefined;
      return (queue = queue.then(settled, settled).then(() => sendPaced(batches)));
    },
    /** Resolves once the worker is up (or failed to start). */
    up: thread.up,
    /** Batches go to the worker now (it is up and has not failed). */
    onWorker: () => !stopped && thread.usable(),
    /** Commits what was sent, then stops the worker. */
    async close(): Promise<void> {
      stopped = true;
      await queue.catch(() => {});
      await thread.stop();
    },
  };
};

export type LiveWriter = ReturnType<typeof createLiveWriter>;
