import { startTsWorker } from '../../workers/startTsWorker.ts';
import type { AppendResult } from '../eventStore.ts';
import type { AppendRequest } from './appendRequest.ts';
import type { CommitBatchDone, CommitWorkerOpen } from './commitWorkerProtocol.ts';
import type { GroupCommitStats, WrittenAppend } from './groupCommit.ts';
import { fromTransferable } from './transferableError.ts';

type Pending = { resolve: (r: AppendResult) => void; reject: (e: unknown) => void };

/**
 * Group commit with the transaction on a worker thread: appends requested in one
 * event-loop turn still share one transaction and one fsync, and their promises still
 * settle only after COMMIT; the main thread only serializes requests and hands them
 * over. Batches go to the worker one at a time, so log order = request order.
 */
export const createWorkerGroupCommit = ({ open, onCommitted }: { open: CommitWorkerOpen; onCommitted: (written: WrittenAppend[], committedAt: number) => void }) => {
  const worker = startTsWorker(new URL('./commitWorker.ts', import.meta.url), open);
  let queue: { request: AppendRequest; pending: Pending }[] = [];
  const requestsInFlight = new Map<number, AppendRequest[]>();
  let scheduled: NodeJS.Immediate | undefined;
  let nextId = 0;
  const inFlight = new Map<number, Pending[]>();
  let stats: GroupCommitStats = { appends: 0, batches: 0, commits: 0, failedCommits: 0 };
  let failure: Error | undefined;
  let idle: (() => void) | undefined;

  worker.on('message', ({ id, settled, writtenFirstPositions, committedAt, stats: s }: CommitBatchDone) => {
    const pendings = inFlight.get(id)!;
    const requests = requestsInFlight.get(id)!;
    inFlight.delete(id);
    requestsInFlight.delete(id);
    stats = s;
    // Subscribers hear of the events before the appenders' promises settle, as in process.
    if (writtenFirstPositions.length > 0) {
      const wrote = new Set(writtenFirstPositions);
      const written: WrittenAppend[] = [];
      // Once each: a repeat later in the same batch answers the same positions but wrote nothing.
      settled.forEach((r, i) => r.ok && wrote.delete(r.result.firstPosition) && written.push({ request: requests[i]!, result: r.result }));
      onCommitted(written, committedAt);
    }
    settled.forEach((r, i) => (r.ok ? pendings[i]!.resolve(r.result) : pendings[i]!.reject(fromTransferable(r.error))));
    if (inFlight.size === 0) idle?.();
  });
  worker.on('error', (e) => {
    failure = e;
    for (const pendings of inFlight.values()) for (const p of pendings) p.reject(e);
    inFlight.clear();
    requestsInFlight.clear();
    idle?.();
  });

  const flush = () => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    const id = nextId++;
    inFlight.set(id, batch.map((b) => b.pending));
    requestsInFlight.set(id, batch.map((b) => b.request));
    worker.ref(); // answers are awaited: keep the process alive until they come
    worker.postMessage({ id, requests: batch.map((b) => b.request) });
  };

  return {
    enqueue: (request: AppendRequest): Promise<AppendResult> =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        queue.push({ request, pending: { resolve, reject } });
        scheduled ??= setImmediate(flush);
      }),
    /** Sends what is queued and resolves once every batch sent has been answered. */
    async drain(): Promise<void> {
      flush();
      if (inFlight.size > 0) await new Promise<void>((r) => (idle = r));
      worker.unref();
    },
    stats: (): GroupCommitStats => ({ ...stats }),
    close: async () => {
      await worker.terminate();
    },
  };
};
