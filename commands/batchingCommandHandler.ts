import { unavailable } from '../domain/errors.ts';
import type { Decider } from '../domain/decider.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { EventStore } from '../event-store/eventStore.ts';
import { isDuplicateEventId, isWrongExpectedVersion } from '../event-store/errors.ts';
import { toDomainEvent, toEventData } from './eventMapping.ts';

export type Handled<E> = {
  /** What this command appended (empty: it changed nothing). */
  events: E[];
  /** Global position at or after this command's write: reads that reach it reflect it. */
  position: bigint;
};

export type BatchingCommandHandler<S, C, E> = {
  handle(streamName: string, command: C): Promise<Handled<E>>;
  /** The state folded from every acknowledged event of the stream (loads it if not cached). */
  state(streamName: string): Promise<S>;
  /** Cached chats, for metrics and tests. */
  readonly size: number;
};

type Pending<C, E> = { command: C; resolve: (h: Handled<E>) => void; reject: (e: unknown) => void };

type Entry<S, C, E> = {
  state: S;
  /** Revision of the last acknowledged event, -1n for no stream. */
  revision: bigint;
  position: bigint;
  loading: Promise<void> | null;
  queue: Pending<C, E>[];
  draining: boolean;
};

export type BatchingOptions = {
  maxCachedStreams?: number;
  maxBatch?: number;
  maxConflictRetries?: number;
  /** Told how many events each successful append wrote (metrics). */
  onAppended?: (count: number) => void;
};

/**
 * Runs a decider against per-stream state cached in memory, so a command costs one
 * append, not a stream read. Commands for one stream queue while its append is in
 * flight and are then decided together, in arrival order, into ONE append with the
 * exact expected revision; appends of different streams meet in the store's group
 * commit. State changes only after the append is acknowledged, so the cache is always
 * a fold of the stream. On a revision conflict (another writer), the cache is
 * refreshed from the stream tail and the batch decided again.
 */
export const createBatchingCommandHandler = <S, C, E extends DomainEvent>(
  store: EventStore,
  decider: Decider<S, C, E>,
  { maxCachedStreams = 10_000, maxBatch = 256, maxConflictRetries = 10, onAppended }: BatchingOptions = {},
): BatchingCommandHandler<S, C, E> => {
  const entries = new Map<string, Entry<S, C, E>>(); // insertion order = least recently used first

  const entryFor = (streamName: string): Entry<S, C, E> => {
    let entry = entries.get(streamName);
    if (entry) entries.delete(streamName);
    else entry = { state: decider.initialState(), revision: -1n, position: 0n, loading: null, queue: [], draining: false };
    entries.set(streamName, entry);
    evictIdle();
    return entry;
  };

  const evictIdle = () => {
    if (entries.size <= maxCachedStreams) return;
    for (const [name, e] of entries) {
      if (entries.size <= maxCachedStreams) break;
      if (!e.draining && e.queue.length === 0) entries.delete(name);
    }
  };

  const catchUp = async (streamName: string, entry: Entry<S, C, E>) => {
    const tail = await store.readStream(streamName, { fromRevision: entry.revision + 1n });
    for (const recorded of tail) entry.state = decider.evolve(entry.state, toDomainEvent<E>(recorded));
    const last = tail.at(-1);
    if (last) {
      entry.revision = last.revision;
      entry.position = last.position;
    }
  };

  const ensureLoaded = (streamName: string, entry: Entry<S, C, E>) => {
    entry.loading ??= catchUp(streamName, entry).catch((e) => {
      entry.loading = null;
      throw e;
    });
    return entry.loading;
  };

  const decideBatch = (entry: Entry<S, C, E>, batch: Pending<C, E>[]) => {
    let working = entry.state;
    const decided: { pending: Pending<C, E>; events: E[] }[] = [];
    for (const pending of batch) {
      try {
        const events = decider.decide(pending.command, working);
        working = events.reduce(decider.evolve, working);
        decided.push({ pending, events });
      } catch (e) {
        pending.reject(e);
      }
    }
    return { working, decided };
  };

  const runBatch = async (streamName: string, entry: Entry<S, C, E>, batch: Pending<C, E>[], attempt = 0): Promise<void> => {
    const { working, decided } = decideBatch(entry, batch);
    const events = decided.flatMap((d) => d.events);
    if (events.length === 0) {
      for (const d of decided) d.pending.resolve({ events: [], position: entry.position });
      return;
    }
    try {
      const base = entry.revision;
      const result = await store.appendToStream(
        streamName,
        events.map((e, i) => toEventData(e, streamName, base + 1n + BigInt(i))),
        { expectedRevision: base === -1n ? 'no_stream' : base },
      );
      entry.state = working;
      entry.revision = result.nextExpectedRevision;
      entry.position = result.lastPosition;
      onAppended?.(events.length);
      for (const d of decided) d.pending.resolve({ events: d.events, position: result.lastPosition });
    } catch (e) {
      const pendings = decided.map((d) => d.pending);
      if (isWrongExpectedVersion(e) && attempt < maxConflictRetries) {
        try {
          await catchUp(streamName, entry);
        } catch (refreshError) {
          for (const p of pendings) p.reject(refreshError);
          return;
        }
        return runBatch(streamName, entry, pendings, attempt + 1);
      }
      if (isDuplicateEventId(e) && pendings.length > 1) {
        // One command's id collides: give each its own append so only that one fails.
        for (const p of pendings) await runBatch(streamName, entry, [p], attempt);
        return;
      }
      const error = isWrongExpectedVersion(e) ? unavailable(`${streamName} is too contended, retry`) : e;
      for (const p of pendings) p.reject(error);
    }
  };

  const drain = async (streamName: string, entry: Entry<S, C, E>) => {
    entry.draining = true;
    try {
      while (entry.queue.length > 0) {
        const batch = entry.queue.splice(0, maxBatch);
        try {
          await ensureLoaded(streamName, entry);
        } catch (e) {
          for (const p of batch) p.reject(e);
          continue;
        }
        // runBatch settles every command itself; this only guards against a bug leaving one hanging.
        await runBatch(streamName, entry, batch).catch((e) => batch.forEach((p) => p.reject(e)));
      }
    } finally {
      entry.draining = false;
    }
  };

  return {
    handle(streamName, command) {
      const entry = entryFor(streamName);
      return new Promise<Handled<E>>((resolve, reject) => {
        entry.queue.push({ command, resolve, reject });
        if (!entry.draining) void drain(streamName, entry);
      });
    },
    async state(streamName) {
      const entry = entryFor(streamName);
      await ensureLoaded(streamName, entry);
      return entry.state;
    },
    get size() {
      return entries.size;
    },
  };
};
