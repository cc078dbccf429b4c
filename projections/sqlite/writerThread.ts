import { startTsWorker } from '../../workers/startTsWorker.ts';
import type { TableSpec } from '../projection.ts';
import { createBatchEncoder, transferList } from './batchCodec.ts';
import type { BuildBatch } from './sqliteReadStore.ts';
import type { FromWriter, ToWriter, WriterOpen } from './writerProtocol.ts';

export type IndexJob = { name: string; build: number; tables: Record<string, TableSpec> };

/**
 * The main thread's side of a read-model writer worker (writerWorker.ts). `send` answers
 * a promise of the batch's commit; batches commit in the order sent. A failed batch
 * fails every later one too (the worker applies nothing after it), all at once, so the
 * projector hears of it before it hands over another batch and re-projects from what was
 * committed; the thread is then `broken` and its owner writes on the main thread.
 */
export const startWriterThread = (open: WriterOpen) => {
  const worker = startTsWorker(new URL('./writerWorker.ts', import.meta.url), open);
  let ready = false;
  let broken = false;
  let exited = false;
  let onFinished: ((m: Extract<FromWriter, { type: 'finished' }>) => void) | undefined;
  const encode = createBatchEncoder();
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let markUp!: () => void;
  const up = new Promise<void>((resolve) => (markUp = resolve));

  const failAll = (error: Error) => {
    broken = true;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    worker.unref();
  };

  worker.on('message', (m: FromWriter) => {
    if (m.type === 'ready') {
      ready = true;
      markUp();
    }
    else if (m.type === 'committed') {
      pending.get(m.id)?.resolve();
      pending.delete(m.id);
      if (pending.size === 0) worker.unref();
    } else if (m.type === 'failed') failAll(new Error(`read-model writer: ${m.error}`));
    else onFinished?.(m);
  });
  // On exit every message the worker posted has been handled: what was not acknowledged was not committed.
  let crash: unknown;
  worker.on('error', (e) => (crash = e));
  worker.on('exit', () => {
    exited = true;
    markUp();
    if (pending.size > 0 || crash !== undefined) failAll(new Error(`read-model writer stopped: ${String(crash)}`));
    onFinished?.({ type: 'finished', error: 'the worker stopped' });
  });

  return {
    /** Resolves once the worker is up (or gone). */
    up,
    /** Up and not failed: batches may go to it. */
    usable: () => ready && !broken && !exited,
    send(batches: readonly BuildBatch[]): Promise<void> {
      const id = nextId++;
      const batch = encode(batches);
      const committed = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
      worker.ref(); // a commit is awaited: keep the process alive until it is answered
      worker.postMessage({ type: 'batch', id, batch } satisfies ToWriter, transferList(batch));
      return committed;
    },
    /** Stops the worker after its queue; answers whether it built `indexes` (never after a failure). */
    async stop(indexes: readonly IndexJob[] = []): Promise<boolean> {
      // Queued behind every batch already sent: those commit (or fail) first.
      const done = new Promise<Extract<FromWriter, { type: 'finished' }>>((resolve) => {
        onFinished = resolve;
        if (exited) resolve({ type: 'finished', error: 'the worker stopped' });
      });
      const build = !broken;
      if (!exited) worker.postMessage({ type: 'finish', indexes: build ? [...indexes] : [] } satisfies ToWriter);
      const { error } = await done;
      await worker.terminate();
      return build && !broken && error === undefined;
    },
  };
};

export type WriterThread = ReturnType<typeof startWriterThread>;
