import { parentPort, workerData } from 'node:worker_threads';
import type { CommitBatch, CommitBatchDone, CommitWorkerOpen } from './commitWorkerProtocol.ts';
import { createGroupCommit } from './groupCommit.ts';
import { openDatabase } from './openDatabase.ts';
import { prepareStatements } from './statements.ts';
import { toTransferable } from './transferableError.ts';

/**
 * The commit worker: the store's group commit on its own thread and connection, so the
 * inserts and the fsync of each batch run beside the main thread instead of on it.
 * One batch at a time, in the order the main thread sent them.
 */
const { path, synchronous, busyTimeoutMs } = workerData as CommitWorkerOpen;
const db = openDatabase({ path, synchronous, busyTimeoutMs });
let writtenFirstPositions: bigint[] = [];
let committedAt = 0;
const groupCommit = createGroupCommit({
  db,
  statements: prepareStatements(db),
  onCommitted: (appends, at) => {
    for (const { result } of appends) writtenFirstPositions.push(result.firstPosition);
    committedAt = at;
  },
});

parentPort!.on('message', async ({ id, requests }: CommitBatch) => {
  const pending = requests.map((r) => groupCommit.enqueue(r));
  groupCommit.flush();
  const settled = await Promise.allSettled(pending);
  const done: CommitBatchDone = {
    id,
    settled: settled.map((s) => (s.status === 'fulfilled' ? { ok: true, result: s.value } : { ok: false, error: toTransferable(s.reason) })),
    writtenFirstPositions,
    committedAt,
    stats: groupCommit.stats(),
  };
  writtenFirstPositions = [];
  parentPort!.postMessage(done);
});
