import type { EventStore, RecordedEvent, Subscription } from '../eventStore.ts';
import { toAppendRequest } from './appendRequest.ts';
import { toRecordedEvent } from './eventRow.ts';
import { createGroupCommit, recordedEvents, type GroupCommitStats, type WrittenAppend } from './groupCommit.ts';
import { createWorkerGroupCommit } from './workerGroupCommit.ts';
import { createHeadAdvancedSignal } from './headAdvancedSignal.ts';
import { openDatabase, type Synchronous } from './openDatabase.ts';
import { readStream } from './readStream.ts';
import { limitOf, prepareStatements } from './statements.ts';
import { subscribeToAll } from './subscribeToAll.ts';
import { createRecentEvents } from './recentEvents.ts';

export type SqliteEventStoreOptions = {
  path: string;
  /** FULL (default): an acknowledged append survives power loss. NORMAL: survives a process crash only. */
  synchronous?: Synchronous;
  busyTimeoutMs?: number;
  /** How often an idle subscription re-reads without a notification (writes from other processes). */
  subscriptionPollIntervalMs?: number;
  /**
   * Run the group commit (inserts, COMMIT, fsync) on a worker thread with its own
   * connection: the main thread keeps serving sockets meanwhile. Same guarantees.
   */
  commitInWorker?: boolean;
  /**
   * No other process appends to this file (the embedded profile). The head and the
   * subscriptions' reads past it are then answered from memory: with the commit worker
   * writing, every read on this connection would otherwise find the file changed and
   * reload its pages (measured: 11 % of the main thread in `direct`).
   */
  soleWriter?: boolean;
};

export type SqliteEventStore = EventStore & {
  /** Group-commit counters, for tests and benchmarks. */
  stats(): GroupCommitStats;
};

const storeClosed = () => new Error('event store is closed');

export const createSqliteEventStore = ({
  path,
  synchronous = 'FULL',
  busyTimeoutMs = 5_000,
  subscriptionPollIntervalMs = 1_000,
  commitInWorker = false,
  soleWriter = false,
}: SqliteEventStoreOptions): SqliteEventStore => {
  const db = openDatabase({ path, synchronous, busyTimeoutMs });
  const statements = prepareStatements(db);
  const headAdvanced = createHeadAdvancedSignal();
  const recent = createRecentEvents();
  const fileHead = (): bigint => statements.headPosition.get() ?? 0n;
  // With a sole writer, the head is whatever this process last committed.
  let knownHead = soleWriter ? fileHead() : 0n;
  const onCommitted = (appends: readonly WrittenAppend[], committedAt: number) => {
    const written = appends.flatMap(({ request, result }) => recordedEvents(request, result, committedAt));
    recent.add(written);
    knownHead = written.at(-1)!.position;
    headAdvanced.notify();
  };
  // The worker's connection writes; this one reads (WAL: readers never wait for it).
  const groupCommit = commitInWorker
    ? createWorkerGroupCommit({ open: { path, synchronous, busyTimeoutMs }, onCommitted })
    : (() => {
        const inThread = createGroupCommit({ db, statements, onCommitted });
        return { ...inThread, drain: async () => inThread.flush(), close: async () => {} };
      })();
  const subscriptions = new Set<Subscription>();
  let closing: Promise<void> | undefined;

  const assertOpen = () => {
    if (closing) throw storeClosed();
  };

  const readAfter = (position: bigint, maxCount: number): RecordedEvent[] =>
    statements.readAllAfter.all(position, maxCount).map(toRecordedEvent);
  // Live subscribers (projector, delivery) read what was just committed from memory, not the
  // file. A page that stops short of another process's rows is fine there: it reads on.
  const readAfterForSubscriptions = (position: bigint, maxCount: number): RecordedEvent[] =>
    recent.after(position, maxCount) ?? (soleWriter && position >= knownHead ? [] : readAfter(position, maxCount));

  const headPosition = soleWriter ? () => knownHead : fileHead;

  return {
    appendToStream: (streamName, events, options) => {
      try {
        assertOpen();
        return groupCommit.enqueue(toAppendRequest(streamName, events, options?.expectedRevision ?? 'any'));
      } catch (error) {
        return Promise.reject(error);
      }
    },

    readStream: async (streamName, options = {}) => {
      assertOpen();
      return readStream(statements, streamName, options);
    },

    readAll: async ({ after = 0n, maxCount } = {}) => {
      assertOpen();
      const limit = limitOf(maxCount);
      return limit === 0 ? [] : readAfter(after, limit);
    },

    readEventById: async (eventId) => {
      assertOpen();
      const row = statements.readEventById.get(eventId);
      return row ? toRecordedEvent(row) : null;
    },

    headPosition: async () => {
      assertOpen();
      return headPosition();
    },

    subscribeToAll: (options) => {
      assertOpen();
      const subscription = subscribeToAll(
        {
          readAfter: readAfterForSubscriptions,
          headPosition,
          headAdvanced,
          pollIntervalMs: subscriptionPollIntervalMs,
          onEnded: () => subscriptions.delete(subscription),
        },
        options,
      );
      subscriptions.add(subscription);
      return subscription;
    },

    close: () =>
      (closing ??= (async () => {
        // Appends already accepted still get their durable answer.
        await groupCommit.drain();
        await groupCommit.close();
        await Promise.all([...subscriptions].map((subscription) => subscription.close()));
        db.close();
      })()),

    stats: groupCommit.stats,
  };
};
