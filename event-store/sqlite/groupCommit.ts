import type { Database } from 'better-sqlite3';
import type { AppendResult, RecordedEvent } from '../eventStore.ts';
import { appendInTransaction, type AppendOutcome } from './appendInTransaction.ts';
import type { AppendRequest } from './appendRequest.ts';
import type { Statements } from './statements.ts';

export type GroupCommitStats = {
  /** Appends accepted into a batch (including ones that then failed validation). */
  appends: number;
  /** Batches flushed, i.e. write transactions attempted. */
  batches: number;
  /** Transactions that committed. The whole point: far fewer than appends under load. */
  commits: number;
  /** Batches whose BEGIN, COMMIT or transaction as a whole failed: all their appends were rejected. */
  failedCommits: number;
};

/** The events of a committed append as a read would return them: one append's rows are consecutive. */
export const recordedEvents = ({ streamName, events }: AppendRequest, result: AppendResult, committedAt: number): RecordedEvent[] => {
  const recordedAt = new Date(committedAt);
  const firstRevision = result.nextExpectedRevision - BigInt(events.length - 1);
  return events.map((e, i) => ({
    id: e.id,
    type: e.type,
    data: JSON.parse(e.data) as unknown,
    metadata: JSON.parse(e.metadata) as Record<string, unknown>,
    streamName,
    revision: firstRevision + BigInt(i),
    position: result.firstPosition + BigInt(i),
    recordedAt,
  }));
};

/** An append that wrote its events (not an idempotent repeat). */
export type WrittenAppend = { request: AppendRequest; result: AppendResult };

type PendingAppend = {
  request: AppendRequest;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
};

type Settled = { ok: true; outcome: AppendOutcome } | { ok: false; error: unknown };

/**
 * Group commit: appends requested in the same event-loop turn share one write
 * transaction, so they share one fsync. Each append runs in its own savepoint, so one
 * failing append rejects only itself. Promises settle only after COMMIT returned:
 * an acknowledged append is durable.
 */
export const createGroupCommit = ({
  db,
  statements,
  onCommitted,
}: {
  db: Database;
  statements: Statements;
  /** Called after a commit that wrote at least one event, with the appends that wrote, in log order. */
  onCommitted: (written: WrittenAppend[], committedAt: number) => void;
}) => {
  let queue: PendingAppend[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  const stats: GroupCommitStats = { appends: 0, batches: 0, commits: 0, failedCommits: 0 };

  const enqueue = (request: AppendRequest): Promise<AppendResult> =>
    new Promise((resolve, reject) => {
      queue.push({ request, resolve, reject });
      // setImmediate runs after the current turn's I/O callbacks and microtasks, so
      // everything requested "now" (e.g. a Promise.all of appends) lands in one batch.
      scheduled ??= setImmediate(flush);
    });

  /** Commits whatever is queued, synchronously. */
  const flush = (): void => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    const batch = queue;
    queue = [];
    if (batch.length > 0) commitBatch(batch);
  };

  const commitBatch = (batch: PendingAppend[]): void => {
    stats.batches++;
    stats.appends += batch.length;
    let settled: Settled[];
    try {
      statements.begin.run();
    } catch (error) {
      // e.g. SQLITE_BUSY after busy_timeout: another process held the write lock too long.
      return failBatch(batch, error);
    }
    try {
      settled = runInTransaction(batch);
      statements.commit.run();
    } catch (error) {
      // A failed COMMIT leaves the transaction open (e.g. deferred constraint); some I/O
      // errors roll it back by themselves. Either way nothing of this batch is durable.
      rollbackQuietly();
      return failBatch(batch, error);
    }
    stats.commits++;
    const written: WrittenAppend[] = [];
    batch.forEach((pending, i) => {
      const result = settled[i]!;
      if (result.ok) {
        if (result.outcome.written) written.push({ request: pending.request, result: result.outcome.result });
        pending.resolve(result.outcome.result);
      } else {
        pending.reject(result.error);
      }
    });
    if (written.length > 0) onCommitted(written, committedAt);
  };

  let committedAt = 0;
  const runInTransaction = (batch: PendingAppend[]): Settled[] => {
    const recordedAt = Date.now();
    committedAt = recordedAt;
    return batch.map(({ request }): Settled => {
      // A single INSERT that fails is undone by SQLite on its own (statement rollback);
      // only a multi-event append needs a savepoint to undo its earlier inserts.
      const savepoint = request.events.length > 1;
      if (savepoint) statements.savepoint.run();
      try {
        const outcome = appendInTransaction(statements, request, recordedAt);
        if (savepoint) statements.release.run();
        return { ok: true, outcome };
      } catch (error) {
        // SQLite rolls back the whole transaction on some errors (SQLITE_FULL, IOERR...):
        // the earlier appends are gone too, so the batch as a whole has failed.
        if (!db.inTransaction) throw error;
        if (savepoint) {
          statements.rollbackToSavepoint.run();
          statements.release.run();
        }
        return { ok: false, error };
      }
    });
  };

  const rollbackQuietly = (): void => {
    try {
      if (db.inTransaction) statements.rollback.run();
    } catch {
      // Nothing better to do from a setImmediate callback: the batch is rejected with the
      // original error, and the next BEGIN will report a connection that is truly broken.
    }
  };

  const failBatch = (batch: PendingAppend[], error: unknown): void => {
    stats.failedCommits++;
    for (const pending of batch) pending.reject(error);
  };

  return {
    enqueue,
    flush,
    stats: (): GroupCommitStats => ({ ...stats }),
  };
};

export type GroupCommit = ReturnType<typeof createGroupCommit>;
