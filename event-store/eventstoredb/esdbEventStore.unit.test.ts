import {
  ANY,
  AccessDeniedError,
  END,
  InvalidArgumentError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DuplicateEventIdError, WrongExpectedVersionError } from '../errors.ts';
import type { RecordedEvent } from '../eventStore.ts';
import { asIdempotentRepeat, couldBeRepeatAt, satisfiesExpectedRevision } from './appendChecks.ts';
import { isEventId, toEsdbAppend } from './esdbAppendRequest.ts';
import { createEsdbEventStore } from './esdbEventStore.ts';
import {
  fromEsdbAppendError,
  isPermanentSubscriptionError,
  isStreamNotFound,
  isTransientError,
} from './esdbErrors.ts';
import {
  commitPositionOf,
  toEsdbEventData,
  toEsdbExpectedRevision,
  toLogEntry,
  toReadPosition,
  toRecordedEvent,
} from './esdbMapping.ts';
import { createKnownPositions } from './knownPositions.ts';
import { byCorrelationIdStream } from './locateByCorrelationId.ts';
import type { LogEntry, ReadLogPage } from './logPage.ts';
import { readAllAfter } from './readAllAfter.ts';
import { limitOf, toReadRevision } from './readStreamEvents.ts';
import { createRecentLocations } from './recentLocations.ts';
import { isVisible, NON_SYSTEM_STREAM_REGEX, subscriptionFilterFor } from './streamFilter.ts';
import { subscriptionStartAfter } from './subscriptionStart.ts';
import { readHead } from './readHead.ts';

const BIG = 2n ** 60n + 1n; // not representable as a JS number
const id = () => randomUUID();

const esdbEvent = (overrides: Partial<EsdbRecordedEvent> = {}): EsdbRecordedEvent =>
  ({
    streamId: 'chat-1',
    id: 'a6f7c5c0-7d67-4f43-9d56-4b1c4ad0c001',
    isJson: true,
    revision: 2n ** 55n,
    type: 'MessageSent',
    created: new Date('2025-01-02T03:04:05.678Z'),
    data: { text: 'hi' },
    metadata: { $correlationId: 'a6f7c5c0-7d67-4f43-9d56-4b1c4ad0c001', source: 'test' },
    position: { commit: BIG, prepare: BIG },
    ...overrides,
  }) as EsdbRecordedEvent;

describe('bigint positions and revisions', () => {
  it('reads the commit position exactly, beyond 2^53', () => {
    expect(commitPositionOf({ commit: BIG, prepare: BIG })).toBe(BIG);
    expect(commitPositionOf({ commit: 0n, prepare: 0n })).toBe(0n);
    expect(commitPositionOf({ commit: 2n ** 63n - 1n, prepare: 0n })).toBe(2n ** 63n - 1n);
  });

  it("treats the server's no-position markers as no position", () => {
    expect(commitPositionOf(undefined)).toBeUndefined();
    expect(commitPositionOf({ commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n })).toBeUndefined();
    expect(commitPositionOf({ commit: -1n, prepare: -1n })).toBeUndefined();
  });

  it('turns a port position into a read position with equal commit and prepare, exactly', () => {
    expect(toReadPosition(BIG)).toEqual({ commit: BIG, prepare: BIG });
    expect(toReadPosition(BIG).commit - 1n).toBe(2n ** 60n);
  });

  it('maps a recorded event with its 64-bit revision and position untouched', () => {
    const mapped = toRecordedEvent(esdbEvent());
    expect(mapped).toEqual({
      id: 'a6f7c5c0-7d67-4f43-9d56-4b1c4ad0c001',
      type: 'MessageSent',
      data: { text: 'hi' },
      metadata: { source: 'test' },
      streamName: 'chat-1',
      revision: 2n ** 55n,
      position: BIG,
      recordedAt: new Date('2025-01-02T03:04:05.678Z'),
    });
    expect(typeof mapped.position).toBe('bigint');
  });

  it('refuses an event without a position (a server too old to report them on stream reads)', () => {
    expect(() => toRecordedEvent(esdbEvent({ position: undefined }))).toThrow(/≥ 22\.6/);
    expect(() =>
      toRecordedEvent(esdbEvent({ position: { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n } })),
    ).toThrow(/no \$all position/);
  });
});

describe('metadata', () => {
  it('adds $correlationId = the event id when sending, keeping the caller metadata', () => {
    const eventId = id();
    expect(toEsdbEventData({ id: eventId, type: 'T', data: { a: 1 }, metadata: { source: 'x' } })).toEqual({
      id: eventId,
      contentType: 'application/json',
      type: 'T',
      data: { a: 1 },
      metadata: { source: 'x', $correlationId: eventId },
    });
    expect(toEsdbEventData({ id: eventId, type: 'T', data: undefined }).data).toBeNull();
    expect(toEsdbEventData({ id: eventId, type: 'T', data: 7 }).metadata).toEqual({ $correlationId: eventId });
  });

  it('removes its own $correlationId when reading, and only its own', () => {
    expect(toRecordedEvent(esdbEvent({ metadata: { $correlationId: 'a6f7c5c0-7d67-4f43-9d56-4b1c4ad0c001' } })).metadata).toEqual({});
    // Written by someone else, correlated to another event: theirs to keep.
    expect(toRecordedEvent(esdbEvent({ metadata: { $correlationId: 'other' } })).metadata).toEqual({ $correlationId: 'other' });
    expect(toRecordedEvent(esdbEvent({ metadata: undefined })).metadata).toEqual({});
    expect(toRecordedEvent(esdbEvent({ metadata: new Uint8Array([1, 2]) })).metadata).toEqual({});
    expect(toRecordedEvent(esdbEvent({ metadata: ['x'] })).metadata).toEqual({});
  });
});

describe('expected revisions', () => {
  it('maps each port expected revision to the same one of the client', () => {
    expect(toEsdbExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toEsdbExpectedRevision('stream_exists')).toBe(STREAM_EXISTS);
    expect(toEsdbExpectedRevision('any')).toBe(ANY);
    expect(toEsdbExpectedRevision(0n)).toBe(0n);
    expect(toEsdbExpectedRevision(2n ** 62n + 3n)).toBe(2n ** 62n + 3n);
  });

  it('checks an expected revision against a stream head like the server does', () => {
    expect(satisfiesExpectedRevision('any', undefined)).toBe(true);
    expect(satisfiesExpectedRevision('any', 4n)).toBe(true);
    expect(satisfiesExpectedRevision('no_stream', undefined)).toBe(true);
    expect(satisfiesExpectedRevision('no_stream', 0n)).toBe(false);
    expect(satisfiesExpectedRevision('stream_exists', undefined)).toBe(false);
    expect(satisfiesExpectedRevision('stream_exists', 0n)).toBe(true);
    expect(satisfiesExpectedRevision(3n, 3n)).toBe(true);
    expect(satisfiesExpectedRevision(3n, 4n)).toBe(false);
    expect(satisfiesExpectedRevision(0n, undefined)).toBe(false);
  });

  it('reads a stream from the right revision in each direction', () => {
    expect(toReadRevision({})).toBe(START);
    expect(toReadRevision({ fromRevision: 'end' })).toBeUndefined();
    expect(toReadRevision({ fromRevision: BIG })).toBe(BIG);
    expect(toReadRevision({ direction: 'backwards' })).toBe(END);
    expect(toReadRevision({ direction: 'backwards', fromRevision: 'start' })).toBe(0n);
    expect(toReadRevision({ direction: 'backwards', fromRevision: 5n })).toBe(5n);
    expect(() => toReadRevision({ fromRevision: -1n })).toThrow(RangeError);
    expect(limitOf(undefined)).toBe(Number.POSITIVE_INFINITY);
    expect(limitOf(0)).toBe(0);
    expect(() => limitOf(-1)).toThrow(RangeError);
    expect(() => limitOf(1.5)).toThrow(RangeError);
  });
});

describe('append requests (checked before any I/O)', () => {
  const event = (overrides = {}) => ({ id: id(), type: 'T', data: {}, ...overrides });

  it('accepts lowercase UUID ids only, not the nil UUID', () => {
    expect(isEventId(randomUUID())).toBe(true);
    expect(isEventId(randomUUID().toUpperCase())).toBe(false);
    expect(isEventId('00000000-0000-0000-0000-000000000000')).toBe(false);
    expect(isEventId('poison')).toBe(false);
    expect(isEventId(42)).toBe(false);
  });

  it('refuses malformed appends with the errors the SQLite adapter uses', () => {
    expect(() => toEsdbAppend('s', [], 'any')).toThrow(RangeError);
    expect(() => toEsdbAppend('', [event()], 'any')).toThrow(TypeError);
    expect(() => toEsdbAppend('$system', [event()], 'any')).toThrow(TypeError);
    expect(() => toEsdbAppend('s', [event()], -1n)).toThrow(TypeError);
    expect(() => toEsdbAppend('s', [event()], 'latest' as never)).toThrow(TypeError);
    expect(() => toEsdbAppend('s', [event({ id: 'not-a-uuid' })], 'any')).toThrow(TypeError);
    expect(() => toEsdbAppend('s', [event({ type: '$>' })], 'any')).toThrow(TypeError);
    expect(() => toEsdbAppend('s', [event({ data: { n: 1n } })], 'any')).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toEsdbAppend('s', [event({ data: cyclic })], 'any')).toThrow(TypeError);
    expect(() => toEsdbAppend('s', [event({ metadata: ['x'] })], 'any')).toThrow(TypeError);
    expect(() => toEsdbAppend('s', [event({ metadata: { $correlationId: 'mine' } })], 'any')).toThrow(/reserved/);
  });

  it('an id twice in one append is a DuplicateEventIdError (the server would store both)', () => {
    const twice = event();
    const error = (() => {
      try {
        toEsdbAppend('s', [twice, event(), twice], 'no_stream');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DuplicateEventIdError);
    expect(error).toMatchObject({ eventId: twice.id, existingStream: 's' });
  });

  it('shapes a valid append for the client', () => {
    const [a, b] = [event({ data: { x: 1 } }), event({ metadata: { m: true } })];
    const append = toEsdbAppend('chat-1', [a, b], 3n);
    expect(append.ids).toEqual([a.id, b.id]);
    expect(append.expectedRevision).toBe(3n);
    expect(append.events.map((e) => e.metadata)).toEqual([{ $correlationId: a.id }, { m: true, $correlationId: b.id }]);
  });

  it('the store refuses them before connecting: no server needed', async () => {
    const store = createEsdbEventStore({ connectionString: 'esdb://127.0.0.1:1?tls=false' });
    try {
      await expect(store.appendToStream('s', [])).rejects.toBeInstanceOf(RangeError);
      await expect(store.appendToStream('s', [event({ id: 'poison' })])).rejects.toBeInstanceOf(TypeError);
      await expect(store.readAll({ after: -1n })).rejects.toBeInstanceOf(TypeError);
      // A non-UUID was never stored: no lookup needed.
      expect(await store.readEventById('poison')).toBeNull();
      expect(() => store.subscribeToAll({ after: 'start', onEvents: () => {}, maxBatchSize: 0 })).toThrow(RangeError);
      expect(() => store.subscribeToAll({ after: -1n, onEvents: () => {} })).toThrow(TypeError);
    } finally {
      await store.close();
    }
    await expect(store.readStream('s')).rejects.toThrow('closed');
    expect(() => store.subscribeToAll({ after: 'start', onEvents: () => {} })).toThrow('closed');
  });

  it('refuses system stream prefixes', () => {
    expect(() => createEsdbEventStore({ connectionString: 'esdb://127.0.0.1:1?tls=false', streamPrefixes: ['$ce-'] })).toThrow(
      TypeError,
    );
    expect(() => createEsdbEventStore({ connectionString: 'esdb://127.0.0.1:1?tls=false', streamPrefixes: [] })).toThrow(
      TypeError,
    );
  });
});

describe('idempotent repeats', () => {
  const stored = (ids: string[], fromRevision: bigint): RecordedEvent[] =>
    ids.map((eventId, i) => ({
      id: eventId,
      type: 'T',
      data: {},
      metadata: {},
      streamName: 's',
      revision: fromRevision + BigInt(i),
      position: BIG + BigInt(i) * 100n,
      recordedAt: new Date(0),
    }));

  it('is a repeat only in the same stream, where the expected revision put the first event', () => {
    expect(couldBeRepeatAt('s', 'no_stream', { streamName: 's', revision: 0n })).toBe(true);
    expect(couldBeRepeatAt('s', 'no_stream', { streamName: 's', revision: 1n })).toBe(false);
    expect(couldBeRepeatAt('s', 4n, { streamName: 's', revision: 5n })).toBe(true);
    expect(couldBeRepeatAt('s', 4n, { streamName: 's', revision: 4n })).toBe(false);
    expect(couldBeRepeatAt('s', 'any', { streamName: 's', revision: 9n })).toBe(true);
    expect(couldBeRepeatAt('s', 'stream_exists', { streamName: 's', revision: 1n })).toBe(false);
    expect(couldBeRepeatAt('s', 'any', { streamName: 'other', revision: 0n })).toBe(false);
  });

  it('answers with the original result when the stored events are exactly these ids', () => {
    const ids = [id(), id()];
    expect(asIdempotentRepeat(ids, stored(ids, 7n))).toEqual({
      nextExpectedRevision: 8n,
      firstPosition: BIG,
      lastPosition: BIG + 100n,
    });
    expect(asIdempotentRepeat(ids, stored([ids[0]!, id()], 7n))).toBeUndefined();
    expect(asIdempotentRepeat(ids, stored([ids[0]!], 7n))).toBeUndefined();
  });
});

describe('error mapping', () => {
  const append = { streamName: 'chat-1', ids: ['a6f7c5c0-7d67-4f43-9d56-4b1c4ad0c001', 'b'] };
  const wrong = (expected: bigint | 'any' | 'no_stream' | 'stream_exists', current: bigint | 'no_stream') =>
    new EsdbWrongExpectedVersionError(undefined, { streamName: 'chat-1', expected, current });

  it("maps the client's wrong expected version to the port's, with the caller's expectation and the actual revision", () => {
    const stale = fromEsdbAppendError(wrong(3n, 5n), { ...append, expectedRevision: 3n });
    expect(stale).toBeInstanceOf(WrongExpectedVersionError);
    expect(stale).toMatchObject({ streamName: 'chat-1', expected: 3n, actual: 5n });

    const missing = fromEsdbAppendError(wrong(0n, 'no_stream'), { ...append, expectedRevision: 0n });
    expect(missing).toMatchObject({ expected: 0n, actual: 'no_stream' });

    const exists = fromEsdbAppendError(wrong('no_stream', 1n), { ...append, expectedRevision: 'no_stream' });
    expect(exists).toMatchObject({ expected: 'no_stream', actual: 1n });

    const notThere = fromEsdbAppendError(wrong('stream_exists', 'no_stream'), { ...append, expectedRevision: 'stream_exists' });
    expect(notThere).toMatchObject({ expected: 'stream_exists', actual: 'no_stream' });

    // Some client paths report a missing stream as −1.
    expect(fromEsdbAppendError(wrong(2n, -1n), { ...append, expectedRevision: 2n })).toMatchObject({ actual: 'no_stream' });
    expect(fromEsdbAppendError(wrong(2n, BIG), { ...append, expectedRevision: 2n })).toMatchObject({ actual: BIG });
  });

  it('a refusal whose revision was right is a batch that partly repeats stored events: a duplicate id', () => {
    for (const [expectedRevision, current] of [
      ['any', 4n],
      [4n, 4n],
      ['stream_exists', 4n],
      ['no_stream', 'no_stream'],
    ] as const) {
      const error = fromEsdbAppendError(wrong(expectedRevision, current), { ...append, expectedRevision });
      expect(error).toBeInstanceOf(DuplicateEventIdError);
      expect(error).toMatchObject({ eventId: append.ids[0], existingStream: 'chat-1' });
    }
  });

  it('passes other errors through', () => {
    const unavailable = new UnavailableError();
    expect(fromEsdbAppendError(unavailable, { ...append, expectedRevision: 'any' })).toBe(unavailable);
  });

  it('classifies client errors', () => {
    expect(isStreamNotFound(new StreamNotFoundError(undefined, 'x'))).toBe(true);
    expect(isStreamNotFound(new UnavailableError())).toBe(false);
    expect(isStreamNotFound('nope')).toBe(false);
    expect(isTransientError(new UnavailableError())).toBe(true);
    expect(isTransientError(new UnknownError())).toBe(false);
    expect(isPermanentSubscriptionError(new AccessDeniedError())).toBe(true);
    expect(isPermanentSubscriptionError(new InvalidArgumentError('bad regex'))).toBe(true);
    expect(isPermanentSubscriptionError(new UnavailableError())).toBe(false);
    expect(isPermanentSubscriptionError(new UnknownError())).toBe(false);
    expect(isPermanentSubscriptionError(new Error('plain'))).toBe(false);
  });
});

describe('stream filter', () => {
  const all = { prefixes: undefined };
  const chats = { prefixes: ['chat-', 'receipts-'] };

  it('the server-side regex keeps every stream but the system ones', () => {
    const regex = new RegExp(NON_SYSTEM_STREAM_REGEX);
    expect(['chat-1', 'receipts-1', 'a', 'x$y'].filter((name) => regex.test(name))).toEqual(['chat-1', 'receipts-1', 'a', 'x$y']);
    expect(['$bc-1', '$$chat-1', '$ce-chat', '$stats-127.0.0.1:2113', ''].some((name) => regex.test(name))).toBe(false);
    expect(subscriptionFilterFor(all)).toMatchObject({ filterOn: 'streamName', regex: NON_SYSTEM_STREAM_REGEX });
    expect(subscriptionFilterFor(chats)).toMatchObject({ filterOn: 'streamName', prefixes: ['chat-', 'receipts-'] });
  });

  it('shows neither system streams nor system event types, and only the given prefixes', () => {
    expect(isVisible(all, 'chat-1', 'MessageSent')).toBe(true);
    expect(isVisible(all, '$bc-1', '$>')).toBe(false);
    expect(isVisible(all, '$$chat-1', '$metadata')).toBe(false);
    expect(isVisible(all, 'chat-1', '$>')).toBe(false);
    expect(isVisible(chats, 'receipts-9', 'ReadUpTo')).toBe(true);
    expect(isVisible(chats, 'orders-9', 'Placed')).toBe(false);
  });

  it('maps $all entries, hiding what the port does not show', () => {
    const resolved = (streamId: string, type: string): AllStreamResolvedEvent =>
      ({ event: esdbEvent({ streamId, type }), commitPosition: BIG }) as AllStreamResolvedEvent;
    const shown = toLogEntry(all, resolved('chat-1', 'MessageSent'));
    expect(shown).toMatchObject({ position: BIG, raw: { commit: BIG, prepare: BIG } });
    expect(shown.visible?.streamName).toBe('chat-1');
    expect(toLogEntry(all, resolved('$bc-x', '$>')).visible).toBeUndefined();
    expect(toLogEntry(chats, resolved('orders-1', 'Placed'))).toMatchObject({ position: BIG, visible: undefined });
    expect(() => toLogEntry(all, {} as AllStreamResolvedEvent)).toThrow(/without an event/);
  });

  it('looks an id up in the stream the $by_correlation_id projection writes', () => {
    expect(byCorrelationIdStream('a6f7c5c0-7d67-4f43-9d56-4b1c4ad0c001')).toBe('$bc-a6f7c5c0-7d67-4f43-9d56-4b1c4ad0c001');
  });
});

describe('recent locations and known positions', () => {
  it('remembers the latest ids up to its capacity, keeping the first place an id was seen', () => {
    const recent = createRecentLocations(2);
    recent.remember([
      { id: 'a', streamName: 's', revision: 0n },
      { id: 'b', streamName: 's', revision: 1n },
    ]);
    recent.remember([{ id: 'a', streamName: 'elsewhere', revision: 9n }]);
    expect(recent.get('a')).toEqual({ streamName: 's', revision: 0n });
    recent.remember([{ id: 'c', streamName: 's', revision: BIG }]);
    expect(recent.get('b')).toBeUndefined(); // least recently used
    expect(recent.get('c')).toEqual({ streamName: 's', revision: BIG });
    expect(recent.size()).toBe(2);
  });

  it('keeps positions sorted and answers floors exactly', () => {
    const known = createKnownPositions(3);
    for (const position of [BIG, 10n, BIG + 2n, 10n, 0n]) known.add(position);
    expect(known.size()).toBe(3);
    expect(known.has(BIG)).toBe(true);
    expect(known.has(BIG + 1n)).toBe(false);
    expect(known.floor(BIG + 1n)).toBe(BIG);
    expect(known.floor(9n)).toBeUndefined();
    known.add(BIG + 5n); // evicts the smallest
    expect(known.has(10n)).toBe(false);
    expect(known.floor(2n ** 61n)).toBe(BIG + 5n);
    known.add(11n); // full, and older than everything kept: not worth keeping
    expect(known.has(11n)).toBe(false);
    expect(known.size()).toBe(3);
  });
});

/**
 * An in-memory $all in the shape of ReadLogPage. Like the server: a read or subscription can
 * only start at an event's position (anything else is an error), a forwards read includes
 * its start, a backwards read excludes it.
 */
const fakeLog = (positions: readonly bigint[], hidden: ReadonlySet<bigint> = new Set()) => {
  const log: LogEntry[] = positions.map((position) => ({
    raw: { commit: position, prepare: position },
    position,
    visible: hidden.has(position)
      ? undefined
      : {
          id: `e${position}`,
          type: 'T',
          data: null,
          metadata: {},
          streamName: 's',
          revision: 0n,
          position,
          recordedAt: new Date(0),
        },
  }));
  const reads: string[] = [];
  let failWith: unknown;
  const readPage: ReadLogPage = async ({ from, direction, maxCount }) => {
    reads.push(`${direction} ${typeof from === 'string' ? from : from.commit}`);
    if (failWith) throw failWith;
    let index: number;
    if (from === START) index = direction === 'forwards' ? 0 : -1;
    else if (from === END) index = direction === 'forwards' ? log.length : log.length - 1;
    else {
      const at = log.findIndex((entry) => entry.position === from.commit);
      if (at < 0) throw new UnknownError(undefined, 'Trying to read from an invalid position.');
      index = direction === 'forwards' ? at : at - 1;
    }
    return direction === 'forwards'
      ? log.slice(index, index + maxCount)
      : log.slice(Math.max(0, index - maxCount + 1), index + 1).reverse();
  };
  return { readPage, reads, fail: (error: unknown) => (failWith = error) };
};

describe('reading $all', () => {
  const positions = Array.from({ length: 300 }, (_, i) => BIG + BigInt(i) * 37n);
  const idsOf = (events: readonly { id: string }[]) => events.map((e) => e.id);

  it('reads strictly after a position, across pages, skipping hidden events, up to maxCount', async () => {
    const hidden = new Set(positions.filter((_, i) => i % 3 !== 0)); // two system events after each visible one
    const { readPage } = fakeLog(positions, hidden);
    const known = createKnownPositions();
    const all = await readAllAfter(readPage, known, 0n);
    expect(all).toHaveLength(100);
    expect(all.every((event, i) => i === 0 || event.position > all[i - 1]!.position)).toBe(true);

    const afterThird = await readAllAfter(readPage, known, all[2]!.position, 3);
    expect(idsOf(afterThird)).toEqual(idsOf(all.slice(3, 6)));
    expect(await readAllAfter(readPage, known, all[99]!.position)).toEqual([]);
    expect(await readAllAfter(readPage, known, 0n, 0)).toEqual([]);
  });

  it('after a position that is no event: starts at the greatest known one below, else at the start', async () => {
    const { readPage, reads } = fakeLog(positions);
    const known = createKnownPositions();
    const target = positions[200]!;
    // Nothing known yet: from the start.
    expect(idsOf(await readAllAfter(readPage, known, target - 1n, 2))).toEqual([`e${target}`, `e${positions[201]}`]);
    expect(reads.slice(0, 2)).toEqual([`forwards ${target - 1n}`, 'forwards start']);

    reads.length = 0;
    const near = createKnownPositions();
    near.add(positions[150]!);
    expect(idsOf(await readAllAfter(readPage, near, target - 1n, 2))).toEqual([`e${target}`, `e${positions[201]}`]);
    expect(reads.slice(0, 2)).toEqual([`forwards ${target - 1n}`, `forwards ${positions[150]}`]);
  });

  it('does not read around an unreachable server: the error is the answer', async () => {
    const { readPage, fail } = fakeLog(positions);
    fail(new UnavailableError());
    await expect(readAllAfter(readPage, createKnownPositions(), positions[5]! - 1n)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('the head is the last visible event, however many system events follow it', async () => {
    const tail = Array.from({ length: 500 }, (_, i) => BIG + 1_000_000n + BigInt(i));
    const { readPage } = fakeLog([...positions, ...tail], new Set(tail));
    const head = await readHead(readPage, createKnownPositions());
    expect(head.visible).toBe(positions.at(-1));
    expect(head.last?.position).toBe(tail.at(-1));

    expect(await readHead(fakeLog([]).readPage, createKnownPositions())).toEqual({ visible: 0n, last: undefined });
    expect((await readHead(fakeLog(tail, new Set(tail)).readPage, createKnownPositions())).visible).toBe(0n);
  });

  it('subscribes after a position as it is when it is an event, else from below it, skipping up to it', async () => {
    const { readPage } = fakeLog(positions);
    const known = createKnownPositions();
    expect(await subscriptionStartAfter(readPage, known, 0n)).toEqual({ from: START, skipUpTo: 0n });
    expect(await subscriptionStartAfter(readPage, known, positions[10]!)).toEqual({
      from: toReadPosition(positions[10]!),
      skipUpTo: positions[10],
    });
    expect(known.has(positions[10]!)).toBe(true);
    expect(await subscriptionStartAfter(readPage, known, positions[20]! - 1n)).toEqual({
      from: toReadPosition(positions[10]!),
      skipUpTo: positions[20]! - 1n,
    });
    expect(await subscriptionStartAfter(readPage, createKnownPositions(), positions[20]! - 1n)).toEqual({
      from: START,
      skipUpTo: positions[20]! - 1n,
    });
  });
});
