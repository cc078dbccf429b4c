import { EventStoreDBClient, START } from '@eventstore/db-client';
import type { AppendResult, EventStore, RecordedEvent, SubscribeToAllOptions, Subscription } from '../eventStore.ts';
import {
  asIdempotentRepeat,
  assertExpectedRevision,
  assertIdsNotStored,
  couldBeRepeatAt,
  type EventLocation,
} from './appendChecks.ts';
import { isEventId, toEsdbAppend, type EsdbAppend } from './esdbAppendRequest.ts';
import { fromEsdbAppendError, isPermanentSubscriptionError } from './esdbErrors.ts';
import { commitPositionOf, toEsdbExpectedRevision, toLogEntry } from './esdbMapping.ts';
import { createKnownPositions } from './knownPositions.ts';
import { locateByCorrelationId } from './locateByCorrelationId.ts';
import { createReadLogPage } from './logPage.ts';
import { readAllAfter } from './readAllAfter.ts';
import { limitOf, readStreamEvents } from './readStreamEvents.ts';
import { createRecentLocations } from './recentLocations.ts';
import { assertStreamPrefixes, subscriptionFilterFor, type StreamFilter } from './streamFilter.ts';
import {
  DEFAULT_MAX_BATCH_SIZE,
  subscribeToAllWithResubscribe,
  type Backoff,
  type SubscriptionSource,
} from './subscribeToAllWithResubscribe.ts';
import { subscriptionStartAfter, type SubscriptionStart } from './subscriptionStart.ts';
import { readHead, type Head } from './readHead.ts';

export type EsdbEventStoreOptions = {
  /** `esdb://host:2113?tls=false`, `esdb+discover://…`: the client's connection string. */
  connectionString: string;
  /**
   * Only streams starting with one of these are seen on $all (readAll, headPosition,
   * subscribeToAll), e.g. `['chat-', 'receipts-']` on a server other applications share.
   * Default: every stream except EventStoreDB's own (`$…`).
   */
  streamPrefixes?: readonly string[];
  /** How many event locations (id → stream, revision) this instance remembers for read-your-writes. Default 10 000. */
  recentEventIds?: number;
  /** Told of every drop of a subscription's server subscription, before it resubscribes. Default: console.warn. */
  onSubscriptionDropped?: (error: unknown, attempt: number) => void;
  /** Delay before resubscribing after the n-th drop in a row. Default 100 ms doubling to 5 s, jittered. */
  resubscribeBackoff?: Backoff;
};

const storeClosed = () => new Error('event store is closed');

const warnDropped = (error: unknown, attempt: number) =>
  console.warn(`EventStoreDB $all subscription dropped (attempt ${attempt}), resubscribing: ${String(error)}`);

/**
 * The EventStore port on EventStoreDB (gRPC client 6.x, server ≥ 22.6, 23.10+ recommended;
 * system projections running for readEventById, see README.md).
 */
export const createEsdbEventStore = ({
  connectionString,
  streamPrefixes,
  recentEventIds = 10_000,
  onSubscriptionDropped = warnDropped,
  resubscribeBackoff,
}: EsdbEventStoreOptions): EventStore => {
  assertStreamPrefixes(streamPrefixes);
  const filter: StreamFilter = { prefixes: streamPrefixes && [...streamPrefixes] };
  const client = EventStoreDBClient.connectionString(connectionString);
  const readLogPage = createReadLogPage(client, filter);
  const recent = createRecentLocations(recentEventIds);
  const known = createKnownPositions();

  let closing: Promise<void> | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const subscriptions = new Set<Subscription>();
  /** Head reads of subscriptions from 'end' not answered yet: appends wait for them (see appendChecked). */
  const pendingEnds = new Set<Promise<unknown>>();
  /** Ids of appends in progress in this instance: an append waits for those sharing an id. */
  const idLocks = new Map<string, Promise<void>>();

  const assertOpen = () => {
    if (closing) throw storeClosed();
  };

  /** Runs a public operation: refused once closing, awaited by close(). */
  const track = <T>(operation: () => Promise<T>): Promise<T> => {
    if (closing) return Promise.reject(storeClosed());
    const running = operation();
    inFlight.add(running);
    const forget = () => void inFlight.delete(running);
    running.then(forget, forget);
    return running;
  };

  /**
   * What this instance wrote or saw go by live (its appends, its subscriptions' batches): the
   * recent tail of the log, where read-your-writes lookups land. Reads of old streams would
   * only push those out, so reads note a position and nothing else.
   */
  const remember = (events: readonly RecordedEvent[]) => {
    recent.remember(events);
    const last = events.at(-1);
    if (last) known.add(last.position);
  };

  const readStream: EventStore['readStream'] = async (streamName, options) => {
    const events = await readStreamEvents(client, streamName, options);
    const last = events.at(-1);
    if (last) known.add(last.position);
    return events;
  };

  const streamHead = async (streamName: string): Promise<bigint | undefined> =>
    (await readStreamEvents(client, streamName, { direction: 'backwards', maxCount: 1 }))[0]?.revision;

  /** Where an id is stored: this instance's recent events first, then the `$bc-<id>` index. */
  const locate = async (id: string): Promise<EventLocation | undefined> =>
    recent.get(id) ?? (await locateByCorrelationId(client, id));

  const withIdsLocked = async <T>(ids: readonly string[], body: () => Promise<T>): Promise<T> => {
    // All at once or not at all, so two appends sharing ids in another order cannot deadlock.
    for (;;) {
      const held = ids.flatMap((id) => idLocks.get(id) ?? []);
      if (held.length === 0) break;
      await Promise.all(held);
    }
    let release!: () => void;
    const lock = new Promise<void>((resolve) => (release = resolve));
    for (const id of ids) idLocks.set(id, lock);
    try {
      return await body();
    } finally {
      for (const id of ids) if (idLocks.get(id) === lock) idLocks.delete(id);
      release();
    }
  };

  /** Positions of what an append wrote: from the server's answer for one event, else read back. */
  const resultOf = async (
    { streamName, ids }: EsdbAppend,
    nextExpectedRevision: bigint,
    position: bigint | undefined,
  ): Promise<AppendResult> => {
    if (ids.length === 1 && position !== undefined) {
      return { nextExpectedRevision, firstPosition: position, lastPosition: position };
    }
    // Several events (the answer carries the last one's position only), or a retry the server
    // answered as idempotent (no position at all): the stream says where they are.
    const firstRevision = nextExpectedRevision - BigInt(ids.length) + 1n;
    const stored = await readStreamEvents(client, streamName, { fromRevision: firstRevision, maxCount: ids.length });
    const result = asIdempotentRepeat(ids, stored);
    if (!result) {
      throw new Error(`append to ${streamName} succeeded, but revisions ${firstRevision}..${nextExpectedRevision} hold other events`);
    }
    return result;
  };

  const appendChecked = async (append: EsdbAppend): Promise<AppendResult> => {
    const { streamName, expectedRevision, ids, events } = append;

    // The port's id rules, which EventStoreDB does not have: see README ("Appends").
    const found = await Promise.all(ids.map(locate));
    const locations = new Map<string, EventLocation>();
    found.forEach((location, i) => location && locations.set(ids[i]!, location));
    const first = locations.get(ids[0]!);
    if (first && couldBeRepeatAt(streamName, expectedRevision, first)) {
      const stored = await readStream(streamName, { fromRevision: first.revision, maxCount: ids.length });
      const repeated = asIdempotentRepeat(ids, stored);
      if (repeated) return repeated;
    }
    if (locations.size > 0) {
      // A stale expected revision wins over a duplicate id, as in EventStoreDB.
      assertExpectedRevision(streamName, expectedRevision, await streamHead(streamName));
      assertIdsNotStored(ids, locations);
    }

    // A subscription from 'end' created before this append must see it: its head is read first.
    if (pendingEnds.size > 0) await Promise.allSettled([...pendingEnds]);

    let written;
    try {
      written = await client.appendToStream(streamName, [...events], {
        expectedRevision: toEsdbExpectedRevision(expectedRevision),
      });
    } catch (error) {
      throw fromEsdbAppendError(error, append);
    }
    const result = await resultOf(append, written.nextExpectedRevision, commitPositionOf(written.position));
    const firstRevision = result.nextExpectedRevision - BigInt(ids.length) + 1n;
    recent.remember(ids.map((id, i) => ({ id, streamName, revision: firstRevision + BigInt(i) })));
    known.add(result.firstPosition);
    known.add(result.lastPosition);
    return result;
  };

  const head = (): Promise<Head> => readHead(readLogPage, known);

  const fromTheStart: SubscriptionStart = { from: START, skipUpTo: -1n };
  const startOf = async (
    after: SubscribeToAllOptions['after'],
    endHead: Promise<Head> | undefined,
  ): Promise<{ start: SubscriptionStart; head: bigint }> => {
    if (after === 'end') {
      const { visible, last } = await (endHead ?? head());
      return {
        start: last ? { from: last.raw, skipUpTo: last.position } : fromTheStart,
        head: visible,
      };
    }
    const [start, { visible }] = await Promise.all([
      after === 'start' ? fromTheStart : subscriptionStartAfter(readLogPage, known, after),
      head(),
    ]);
    return { start, head: visible };
  };

  return {
    appendToStream: (streamName, events, options) =>
      track(async () => {
        const append = toEsdbAppend(streamName, events, options?.expectedRevision ?? 'any');
        return withIdsLocked(append.ids, () => appendChecked(append));
      }),

    readStream: (streamName, options) => track(() => readStream(streamName, options)),

    readAll: ({ after = 0n, maxCount } = {}) =>
      track(async () => {
        if (typeof after !== 'bigint' || after < 0n) throw new TypeError(`after must be a non-negative bigint, got ${String(after)}`);
        return readAllAfter(readLogPage, known, after, limitOf(maxCount));
      }),

    readEventById: (eventId) =>
      track(async () => {
        // EventStoreDB ids are UUIDs: anything else was never stored.
        if (!isEventId(eventId)) return null;
        const fromRecent = recent.get(eventId);
        const tryAt = async (location: EventLocation | undefined) => {
          if (!location) return null;
          const [event] = await readStream(location.streamName, { fromRevision: location.revision, maxCount: 1 });
          return event?.id === eventId ? event : null;
        };
        return (await tryAt(fromRecent)) ?? (await tryAt(await locateByCorrelationId(client, eventId)));
      }),

    headPosition: () => track(async () => (await head()).visible),

    subscribeToAll: (options) => {
      assertOpen();
      const { after } = options;
      if (!(after === 'start' || after === 'end' || (typeof after === 'bigint' && after >= 0n))) {
        throw new TypeError(`after must be 'start', 'end' or a non-negative bigint, got ${String(after)}`);
      }
      // 'end' is the head when subscribeToAll is called: read now, and appends made from now
      // on wait for this read, so none of them can land before it and be skipped.
      let endHead: Promise<Head> | undefined;
      if (after === 'end') {
        const reading = head();
        endHead = reading;
        pendingEnds.add(reading);
        const settle = () => void pendingEnds.delete(reading);
        reading.then(settle, settle);
      }
      const highWaterMark = Math.max(16, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
      const subscription = subscribeToAllWithResubscribe(
        {
          start: (from) => {
            const started = startOf(from, endHead);
            endHead = undefined; // a retry reads the head again
            return started;
          },
          open: (fromPosition): SubscriptionSource =>
            client.subscribeToAll({ fromPosition, filter: subscriptionFilterFor(filter) }, { highWaterMark }),
          toEntry: (item) => toLogEntry(filter, item as Parameters<typeof toLogEntry>[1]),
          isPermanent: isPermanentSubscriptionError,
          ...(resubscribeBackoff && { backoff: resubscribeBackoff }),
          onDropped: onSubscriptionDropped,
          onDelivered: remember,
          onEnded: () => void subscriptions.delete(subscription),
        },
        options,
      );
      subscriptions.add(subscription);
      return subscription;
    },

    close: () =>
      (closing ??= (async () => {
        // Operations already accepted still get their answer; subscriptions end; then the connection goes.
        await Promise.allSettled([...inFlight, ...[...subscriptions].map((subscription) => subscription.close())]);
        await client.dispose();
      })()),
  };
};
