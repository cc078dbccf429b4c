import { Worker } from 'node:worker_threads';

/**
 * A worker thread running a TypeScript module (`entry`), with `data` as its workerData.
 * Unref'd: a worker never keeps the process alive on its own; its owner closes it.
 */
export const startTsWorker = (entry: URL, data: Record<string, unknown>): Worker => {
  const worker = new Worker(new URL('./runTsWorker.mjs', import.meta.url), { workerData: { ...data, entry: entry.href } });
  worker.unref();
  return worker;
};
