import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuplicateEventIdError, WrongExpectedVersionError } from '../errors.ts';
import type { AppendResult, EventData, EventStore, ExpectedRevision, RecordedEvent } from '../eventStore.ts';
import {
  anEvent,
  collect,
  idsOf,
  isStrictlyIncreasing,
  logOf,
  nextTurn,
  rejectionOf,
  sleep,
  someEvents,
  uniqueStream,
  waitUntil,
} from './contractHelpers.ts';

/** 100 by default: the suite also runs against remote servers. FC_RUNS (the repo-wide knob) overrides. */
const contractPropertyRuns = Number(process.env.FC_RUNS ?? 100);

export type EventStoreUnderTest = {
  store: EventStore;
  /** Close `store` and open a new instance over the same data. Omit if the adapter has no such notion. */
  reopen?: () => Promise<EventStore>;
  /** Close whatever instance is open and drop the data. */
  cleanup: () => Promise<void>;
};

/**
 * The behaviour every EventStore adapter must have. Stream names and event ids are unique
 * per test, and assertions about the global log only look at the test's own streams, so it
 * also runs against a shared server that other tests write to.
 */
export const eventStoreContract = (
  name: string,
  factory: () => Promise<EventStoreUnderTest>,
  /** `canReopen`: the adapter keeps its data across instances (a local file), so the reopen tests apply. */
  { canReopen = false }: { canReopen?: boolean } = {},
): void => {
  describe(`${name}: EventStore contract`, () => {
    let underTest: EventStoreUnderTest;
    let store: EventStore;

    beforeEach(async () => {
      underTest = await factory();
      store = underTest.store;
    });
    afterEach(async () => {
      await underTest.cleanup();
    });

    const append = (streamName: string, events: EventData[], expectedRevision: ExpectedRevision = 'any') =>
      store.appendToStream(streamName, events, { expectedRevision });

    describe('appendToStream', () => {
      it('creates a stream with no_stream: revisions from 0, increasing positions, events as given', async () => {
        const stream = uniqueStream('new');
        const first = someEvents(3);
        const result = await append(stream, first, 'no_stream');

        expect(result.nextExpectedRevision).toBe(2n);
        expect(typeof result.firstPosition).toBe('bigint');
        expect(result.lastPosition).toBeGreaterThan(result.firstPosition);

        const stored = await store.readStream(stream);
        expect(stored.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(isStrictlyIncreasing(stored.map((e) => e.position))).toBe(true);
        expect(stored[0]!.position).toBe(result.firstPosition);
        expect(stored[2]!.position).toBe(result.lastPosition);
        expect(stored.map(({ id, type, data, metadata, streamName }) => ({ id, type, data, metadata, streamName }))).toEqual(
          first.map(({ id, type, data, metadata }) => ({ id, type, data, metadata, streamName: stream })),
        );
        expect(stored[0]!.recordedAt).toBeInstanceOf(Date);
        expect(Math.abs(stored[0]!.recordedAt.getTime() - Date.now())).toBeLessThan(60_000);

        const next = await append(stream, someEvents(2), result.nextExpectedRevision);
        expect(next.nextExpectedRevision).toBe(4n);
        expect(next.firstPosition).toBeGreaterThan(result.lastPosition);
      });

      it('round-trips nested data and defaults metadata to {}', async () => {
        const stream = uniqueStream('payload');
        const data = { text: 'héllo 👋', nested: { list: [1, 2.5, null, true], empty: {} } };
        await store.appendToStream(stream, [{ id: randomUUID(), type: 'Payload', data }]);
        const [stored] = await store.readStream(stream);
        expect(stored!.data).toEqual(data);
        expect(stored!.metadata).toEqual({});
      });

      it('rejects no_stream on an existing stream with WrongExpectedVersionError, writing nothing', async () => {
        const stream = uniqueStream('exists');
        await append(stream, someEvents(2), 'no_stream');
        const attempt = anEvent();
        const error = await rejectionOf(append(stream, [attempt], 'no_stream'));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ streamName: stream, expected: 'no_stream', actual: 1n });
        expect(await store.readStream(stream)).toHaveLength(2);
        expect(await store.readEventById(attempt.id)).toBeNull();
      });

      it('rejects a stale exact revision with the actual revision, writing nothing', async () => {
        const stream = uniqueStream('exact');
        await append(stream, someEvents(2), 'no_stream');
        const attempt = someEvents(2);
        const error = await rejectionOf(append(stream, attempt, 0n));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ streamName: stream, expected: 0n, actual: 1n });
        expect(idsOf(await store.readStream(stream))).not.toContain(attempt[0]!.id);
        expect(await store.readStream(stream)).toHaveLength(2);
        expect(await store.readEventById(attempt[1]!.id)).toBeNull();

        const ahead = await rejectionOf(append(stream, [anEvent()], 5n));
        expect(ahead).toMatchObject({ expected: 5n, actual: 1n });
      });

      it("reports 'no_stream' as the actual revision of a missing stream", async () => {
        const stream = uniqueStream('missing');
        const error = await rejectionOf(append(stream, [anEvent()], 0n));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ expected: 0n, actual: 'no_stream' });
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('stream_exists fails on a missing stream and succeeds on an existing one', async () => {
        const stream = uniqueStream('stream-exists');
        const error = await rejectionOf(append(stream, [anEvent()], 'stream_exists'));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ expected: 'stream_exists', actual: 'no_stream' });

        await append(stream, [anEvent()], 'no_stream');
        const result = await append(stream, [anEvent()], 'stream_exists');
        expect(result.nextExpectedRevision).toBe(1n);
      });

      it('any appends whether or not the stream exists', async () => {
        const stream = uniqueStream('any');
        expect((await append(stream, [anEvent()], 'any')).nextExpectedRevision).toBe(0n);
        expect((await append(stream, someEvents(2), 'any')).nextExpectedRevision).toBe(2n);
        expect(await store.readStream(stream)).toHaveLength(3);
      });
    });

    describe('idempotency and event id uniqueness', () => {
      const setups: Record<string, (stream: string) => Promise<ExpectedRevision>> = {
        no_stream: async () => 'no_stream',
        'exact revision': async (stream) => (await append(stream, [anEvent()], 'no_stream')).nextExpectedRevision,
        any: async (stream) => {
          await append(stream, [anEvent()], 'no_stream');
          return 'any';
        },
      };

      it.each(Object.keys(setups))(
        'repeating an append (same ids, expected %s) returns the original result and writes nothing',
        async (setupName) => {
          const stream = uniqueStream('repeat');
          const expectedRevision = await setups[setupName]!(stream);
          const batch = someEvents(2);
          const original = await append(stream, batch, expectedRevision);
          const lengthAfterOriginal = (await store.readStream(stream)).length;

          const repeated = await append(stream, batch, expectedRevision);

          expect(repeated).toEqual(original);
          expect(await store.readStream(stream)).toHaveLength(lengthAfterOriginal);
          expect(await logOf(store, original.lastPosition, new Set([stream]))).toEqual([]);
        },
      );

      it('the same append twice at once: one writes, both answer alike, subscribers see its events once', async () => {
        const stream = uniqueStream('repeat-at-once');
        const collected = collect(store, new Set([stream]), { after: 'end' });
        await collected.subscription.caughtUp;
        const batch = someEvents(2);
        // Same turn: with a group commit both land in one batch.
        const [first, second] = await Promise.all([append(stream, batch, 'no_stream'), append(stream, batch, 'no_stream')]);

        expect(second).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(2);
        await waitUntil(() => collected.received.length >= 2, 'the events of the append');
        await sleep(20);
        expect(idsOf(collected.received)).toEqual(idsOf(batch));
        await collected.subscription.close();
      });

      it('an id already stored in another stream is a DuplicateEventIdError; nothing of that append is written', async () => {
        const first = uniqueStream('dup-first');
        const second = uniqueStream('dup-second');
        const shared = anEvent();
        await append(first, [shared], 'no_stream');
        const fresh = anEvent();

        const error = await rejectionOf(append(second, [fresh, shared], 'any'));

        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ eventId: shared.id, existingStream: first });
        expect(await store.readStream(second)).toEqual([]);
        expect(await store.readEventById(fresh.id)).toBeNull();
        expect((await store.readEventById(shared.id))!.streamName).toBe(first);
      });

      it('the same ids at another revision of the same stream are a DuplicateEventIdError', async () => {
        const stream = uniqueStream('dup-later');
        const original = anEvent();
        await append(stream, [original], 'no_stream');
        const { nextExpectedRevision } = await append(stream, [anEvent()], 0n);

        const error = await rejectionOf(append(stream, [original], nextExpectedRevision));

        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ eventId: original.id, existingStream: stream });
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('a repeat that only partly matches what is stored is not idempotent', async () => {
        const stream = uniqueStream('dup-partial');
        const [a, b] = someEvents(2);
        await append(stream, [a!, b!], 'no_stream');
        const c = anEvent();

        const error = await rejectionOf(append(stream, [a!, c], 'any'));

        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ eventId: a!.id, existingStream: stream });
        expect(await store.readEventById(c.id)).toBeNull();
        expect(idsOf(await store.readStream(stream))).toEqual([a!.id, b!.id]);
      });

      it('a stale expected revision wins over a duplicate id: WrongExpectedVersionError, as in EventStoreDB', async () => {
        // Two writers creating the same stream with the same deterministic first event:
        // the loser must learn "refresh and decide again", not "already stored".
        const stream = uniqueStream('dup-stale');
        const created = anEvent({ created: true });
        await append(stream, [created, anEvent({ by: 'first writer' })], 'no_stream');
        const second = anEvent({ by: 'second writer' });

        const error = await rejectionOf(append(stream, [created, second], 'no_stream'));

        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ expected: 'no_stream', actual: 1n });
        expect(await store.readEventById(second.id)).toBeNull();
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('the same id twice in one append is a DuplicateEventIdError; nothing is written', async () => {
        const stream = uniqueStream('dup-within');
        const twice = anEvent();
        const error = await rejectionOf(append(stream, [twice, anEvent(), twice], 'no_stream'));
        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ eventId: twice.id });
        expect(await store.readStream(stream)).toEqual([]);
        expect(await store.readEventById(twice.id)).toBeNull();
      });
    });

    describe('readStream', () => {
      let stream: string;
      let written: EventData[];
      const revisionsOf = (events: RecordedEvent[]) => events.map((e) => Number(e.revision));

      beforeEach(async () => {
        stream = uniqueStream('read');
        written = someEvents(10);
        await append(stream, written.slice(0, 4), 'no_stream');
        await append(stream, written.slice(4), 3n);
      });

      it('reads forwards by default, from revision 0', async () => {
        const events = await store.readStream(stream);
        expect(revisionsOf(events)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(idsOf(events)).toEqual(idsOf(written));
      });

      it('reads forwards from an inclusive revision, up to maxCount', async () => {
        expect(revisionsOf(await store.readStream(stream, { fromRevision: 3n, maxCount: 4 }))).toEqual([3, 4, 5, 6]);
        expect(revisionsOf(await store.readStream(stream, { fromRevision: 'start', maxCount: 2 }))).toEqual([0, 1]);
        expect(revisionsOf(await store.readStream(stream, { fromRevision: 8n, maxCount: 5 }))).toEqual([8, 9]);
        expect(await store.readStream(stream, { fromRevision: 10n })).toEqual([]);
      });

      it('reads backwards from the end by default, or from an inclusive revision', async () => {
        expect(revisionsOf(await store.readStream(stream, { direction: 'backwards' }))).toEqual([
          9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
        ]);
        expect(
          revisionsOf(await store.readStream(stream, { direction: 'backwards', fromRevision: 'end', maxCount: 3 })),
        ).toEqual([9, 8, 7]);
        expect(
          revisionsOf(await store.readStream(stream, { direction: 'backwards', fromRevision: 5n, maxCount: 2 })),
        ).toEqual([5, 4]);
        expect(
          revisionsOf(await store.readStream(stream, { direction: 'backwards', fromRevision: 1n })),
        ).toEqual([1, 0]);
      });

      it('reads a missing stream as empty, in both directions', async () => {
        const missing = uniqueStream('never-written');
        expect(await store.readStream(missing)).toEqual([]);
        expect(await store.readStream(missing, { direction: 'backwards' })).toEqual([]);
      });
    });

    describe('readAll, readEventById, headPosition', () => {
      it('reads the global log in position order, after an exclusive position, up to maxCount', async () => {
        const streams = [uniqueStream('all-a'), uniqueStream('all-b'), uniqueStream('all-c')];
        const before = await store.headPosition();
        const appended: string[] = [];
        for (let i = 0; i < 9; i++) {
          const events = someEvents(1 + (i % 2));
          await append(streams[i % 3]!, events);
          appended.push(...idsOf(events));
        }

        const log = await logOf(store, before, new Set(streams));
        expect(idsOf(log)).toEqual(appended);
        expect(isStrictlyIncreasing(log.map((e) => e.position))).toBe(true);

        const firstTwo = await store.readAll({ after: log[0]!.position - 1n, maxCount: 2 });
        expect(firstTwo).toHaveLength(2);
        expect(firstTwo[0]!.id).toBe(appended[0]);
        expect(firstTwo[1]!.position).toBeGreaterThan(firstTwo[0]!.position);

        const afterLast = await logOf(store, log[log.length - 1]!.position, new Set(streams));
        expect(afterLast).toEqual([]);
      });

      it('reads an event by id, and null for an unknown id', async () => {
        const stream = uniqueStream('by-id');
        const [, second] = someEvents(2);
        await append(stream, [anEvent(), second!], 'no_stream');

        const found = await store.readEventById(second!.id);
        const [, fromStream] = await store.readStream(stream);
        expect(found).toEqual(fromStream);
        expect(found!.revision).toBe(1n);
        expect(await store.readEventById(randomUUID())).toBeNull();
      });

      it('headPosition is the position of the last event in the log', async () => {
        const before = await store.headPosition();
        expect(typeof before).toBe('bigint');
        expect(before).toBeGreaterThanOrEqual(0n);

        const result = await append(uniqueStream('head'), someEvents(3));

        expect(result.firstPosition).toBeGreaterThan(before);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(result.lastPosition);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up then goes live: every event exactly once, in order, across the switch', async () => {
        const [a, b] = [uniqueStream('sub-a'), uniqueStream('sub-b')];
        const streams = new Set([a, b]);
        const checkpoint = await store.headPosition();
        for (let i = 0; i < 10; i++) await append(i % 2 ? a : b, someEvents(3));

        // Appends in flight as the subscription starts, and more fired from inside its handler.
        const concurrent = Array.from({ length: 20 }, (_, i) => append(i % 2 ? a : b, [anEvent({ concurrent: i })]));
        const fromHandler: Promise<AppendResult>[] = [];
        const collected = collect(store, streams, {
          after: checkpoint,
          maxBatchSize: 4,
          onBatch: async (_, call) => {
            if (call === 1) for (let i = 0; i < 5; i++) fromHandler.push(append(a, [anEvent({ fromHandler: i })]));
            await sleep(1); // a slow handler: the log grows while it works
          },
        });
        await Promise.all(concurrent);
        await collected.subscription.caughtUp;
        await Promise.all(fromHandler);

        for (let i = 0; i < 5; i++) await append(b, [anEvent({ live: i })]);
        await Promise.all(Array.from({ length: 10 }, (_, i) => append(i % 2 ? a : b, [anEvent({ burst: i })])));

        const expected = await logOf(store, checkpoint, streams);
        expect(expected).toHaveLength(30 + 20 + 5 + 5 + 10);
        await waitUntil(() => collected.received.length >= expected.length, 'all events delivered');
        await sleep(30); // room for a duplicate or stray event to show up
        expect(idsOf(collected.received)).toEqual(idsOf(expected));
        expect(isStrictlyIncreasing(collected.positions)).toBe(true);
        expect(collected.largestBatch).toBeLessThanOrEqual(4);
        expect(collected.maxConcurrentCalls).toBe(1);

        await collected.subscription.close();
        await expect(collected.subscription.done).resolves.toBeUndefined();
      });

      it('delivers events committed right as the subscription goes idle (no lost wake-up)', async () => {
        const stream = uniqueStream('sub-chain');
        const checkpoint = await store.headPosition();
        const chained: string[] = [];
        const appendNext = () => {
          const event = anEvent({ n: chained.length });
          chained.push(event.id);
          void append(stream, [event]);
        };
        // Each delivery triggers the next append while the loop is between "read" and "wait".
        const collected = collect(store, new Set([stream]), {
          after: checkpoint,
          onBatch: (events) => {
            if (events.some((e) => e.streamName === stream) && chained.length < 25) appendNext();
          },
        });
        appendNext();

        await waitUntil(() => collected.received.length === 25, '25 chained events');
        expect(idsOf(collected.received)).toEqual(chained);
        await collected.subscription.close();
      });

      it('starts strictly after a checkpoint', async () => {
        const stream = uniqueStream('sub-checkpoint');
        const written = someEvents(6);
        await append(stream, written, 'no_stream');
        const [, , third] = await store.readStream(stream);

        // One event per page: caughtUp must wait for the last page, not the first.
        const collected = collect(store, new Set([stream]), { after: third!.position, maxBatchSize: 1 });
        await collected.subscription.caughtUp;
        expect(idsOf(collected.received)).toEqual(idsOf(written.slice(3)));

        const live = anEvent();
        await append(stream, [live]);
        await waitUntil(() => collected.received.length === 4, 'the live event');
        expect(collected.received[3]!.id).toBe(live.id);
        await collected.subscription.close();
      });

      it("from 'start' delivers the whole log, and caughtUp means it has been delivered", async () => {
        const stream = uniqueStream('sub-start');
        const written = someEvents(5);
        await append(stream, written, 'no_stream');

        const collected = collect(store, new Set([stream]), { after: 'start', maxBatchSize: 1000 });
        await collected.subscription.caughtUp;

        expect(idsOf(collected.received)).toEqual(idsOf(written));
        await collected.subscription.close();
      });

      it("from 'end' delivers only events appended after the call", async () => {
        const stream = uniqueStream('sub-end');
        await append(stream, someEvents(3), 'no_stream');

        const collected = collect(store, new Set([stream]), { after: 'end' });
        const live = someEvents(2);
        const appended = append(stream, live, 2n); // same turn as subscribing
        await collected.subscription.caughtUp;
        await appended;

        await waitUntil(() => collected.received.length >= 2, 'the events appended after subscribing');
        await sleep(20);
        expect(idsOf(collected.received)).toEqual(idsOf(live));
        await collected.subscription.close();
      });

      it('close() stops an idle subscription promptly; done resolves and nothing more is delivered', async () => {
        const stream = uniqueStream('sub-close');
        const collected = collect(store, new Set([stream]), { after: 'end' });
        await append(stream, [anEvent()]);
        await waitUntil(() => collected.received.length === 1, 'the first event');
        await sleep(20); // now idle, waiting for the head to move

        const started = Date.now();
        await collected.subscription.close();
        expect(Date.now() - started).toBeLessThan(500);
        await expect(collected.subscription.done).resolves.toBeUndefined();

        await append(stream, [anEvent()]);
        await sleep(50);
        expect(collected.received).toHaveLength(1);
        await collected.subscription.close(); // idempotent
      });

      it.each(['throws', 'rejects'] as const)('when onEvents %s, done rejects and the subscription stops', async (how) => {
        const stream = uniqueStream('sub-fail');
        const checkpoint = await store.headPosition();
        await append(stream, [anEvent()]);
        let calls = 0;
        const failure = new Error('projection failed');
        const subscription = store.subscribeToAll({
          after: checkpoint,
          onEvents: how === 'throws'
            ? () => {
                calls++;
                throw failure;
              }
            : async () => {
                calls++;
                await sleep(1);
                throw failure;
              },
        });

        await expect(subscription.done).rejects.toBe(failure);
        expect(calls).toBe(1);
        await append(stream, [anEvent()]);
        await sleep(50);
        expect(calls).toBe(1);
        await subscription.close(); // still fine to call
      });
    });

    describe('concurrent appends (group commit)', () => {
      it('many concurrent appends where some conflict: exactly the conflicting ones fail', async () => {
        const contested = Array.from({ length: 10 }, () => uniqueStream('gc-contested'));
        const free = Array.from({ length: 10 }, () => uniqueStream('gc-free'));
        await Promise.all(contested.map((stream) => append(stream, [anEvent()], 'no_stream')));
        const sharedId = randomUUID();

        type Attempt = { kind: 'race' | 'stale' | 'free' | 'sharedId'; stream: string; events: EventData[] };
        const attempts: Attempt[] = [
          ...contested.flatMap((stream): Attempt[] => [
            { kind: 'race', stream, events: [anEvent()] },
            { kind: 'stale', stream, events: [anEvent()] },
            { kind: 'race', stream, events: someEvents(2) },
          ]),
          ...free.map((stream): Attempt => ({ kind: 'free', stream, events: someEvents(2) })),
          { kind: 'sharedId', stream: uniqueStream('gc-shared'), events: [anEvent({}, sharedId)] },
          { kind: 'sharedId', stream: uniqueStream('gc-shared'), events: [anEvent({}, sharedId)] },
        ];
        const expectedRevisionOf = ({ kind }: Attempt): ExpectedRevision =>
          kind === 'race' ? 0n : kind === 'stale' ? 7n : 'no_stream';
        const outcomes = await Promise.allSettled(
          attempts.map((attempt) => append(attempt.stream, attempt.events, expectedRevisionOf(attempt))),
        );

        const results = attempts.map((attempt, i) => ({ ...attempt, outcome: outcomes[i]! }));
        for (const stream of contested) {
          const races = results.filter((r) => r.stream === stream && r.kind === 'race');
          const winners = races.filter((r) => r.outcome.status === 'fulfilled');
          expect(winners).toHaveLength(1);
          const loser = races.find((r) => r.outcome.status === 'rejected')!;
          expect((loser.outcome as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
          const stale = results.find((r) => r.stream === stream && r.kind === 'stale')!;
          expect(stale.outcome.status).toBe('rejected');
          expect((stale.outcome as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);

          const stored = await store.readStream(stream);
          expect(idsOf(stored.slice(1))).toEqual(idsOf(winners[0]!.events));
        }
        for (const result of results.filter((r) => r.kind === 'free')) {
          expect(result.outcome.status).toBe('fulfilled');
          expect(idsOf(await store.readStream(result.stream))).toEqual(idsOf(result.events));
        }
        const shared = results.filter((r) => r.kind === 'sharedId');
        expect(shared.filter((r) => r.outcome.status === 'fulfilled')).toHaveLength(1);
        const duplicate = shared.find((r) => r.outcome.status === 'rejected')!;
        expect((duplicate.outcome as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
        expect(await store.readStream(duplicate.stream)).toEqual([]);

        // Whatever failed left no trace.
        for (const failed of results.filter((r) => r.outcome.status === 'rejected')) {
          for (const event of failed.events) {
            if (event.id !== sharedId) expect(await store.readEventById(event.id)).toBeNull();
          }
        }
      });

      it('property: concurrent exact-revision appends give contiguous revisions and a consistent global log', async () => {
        const attemptArb = fc.record({
          stream: fc.nat({ max: 2 }),
          count: fc.integer({ min: 1, max: 3 }),
          // Turns to wait before appending: spreads attempts over one or several commits.
          delay: fc.nat({ max: 2 }),
        });
        const roundsArb = fc.array(fc.array(attemptArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 });

        await fc.assert(
          fc.asyncProperty(roundsArb, async (rounds) => {
            const streams = [uniqueStream('prop'), uniqueStream('prop'), uniqueStream('prop')];
            const before = await store.headPosition();
            const committed: string[][] = [[], [], []];

            for (const round of rounds) {
              // Every attempt in a round expects the revision as of the round's start.
              const expectedAtStart = committed.map((ids): ExpectedRevision =>
                ids.length === 0 ? 'no_stream' : BigInt(ids.length - 1),
              );
              const outcomes = await Promise.all(
                round.map(async ({ stream, count, delay }) => {
                  for (let i = 0; i < delay; i++) await nextTurn();
                  const events = someEvents(count);
                  try {
                    const result = await append(streams[stream]!, events, expectedAtStart[stream]!);
                    return { stream, events, result };
                  } catch (error) {
                    expect(error).toBeInstanceOf(WrongExpectedVersionError);
                    return { stream, events, result: undefined };
                  }
                }),
              );
              for (const stream of new Set(round.map((a) => a.stream))) {
                const winners = outcomes.filter((o) => o.stream === stream && o.result);
                expect(winners).toHaveLength(1);
                committed[stream]!.push(...idsOf(winners[0]!.events));
                expect(winners[0]!.result!.nextExpectedRevision).toBe(BigInt(committed[stream]!.length - 1));
              }
            }

            const log = await logOf(store, before, new Set(streams));
            expect(isStrictlyIncreasing(log.map((e) => e.position))).toBe(true);
            for (const [i, stream] of streams.entries()) {
              const stored = await store.readStream(stream);
              expect(idsOf(stored)).toEqual(committed[i]);
              expect(stored.map((e) => e.revision)).toEqual(stored.map((_, r) => BigInt(r)));
              expect(log.filter((e) => e.streamName === stream)).toEqual(stored);
            }
          }),
          { numRuns: contractPropertyRuns },
        );
      });
    });

    // Adapters without local data (a remote server) have nothing to reopen: the tests are not registered.
    if (canReopen) describe('reopen', () => {
      it('keeps the data and the event-id dedup across a reopen', async () => {
        if (!underTest.reopen) throw new Error(`${name} declares canReopen but its fixture has no reopen()`);
        const stream = uniqueStream('reopen');
        const written = someEvents(2);
        const original = await append(stream, written, 'no_stream');
        const [before] = await store.readStream(stream);

        store = await underTest.reopen();

        const stored = await store.readStream(stream);
        expect(idsOf(stored)).toEqual(idsOf(written));
        expect(stored[0]).toEqual(before);
        expect(await store.readEventById(written[1]!.id)).toEqual(stored[1]);
        expect(await append(stream, written, 'no_stream')).toEqual(original);
        const duplicate = await rejectionOf(append(uniqueStream('reopen-other'), [written[0]!]));
        expect(duplicate).toBeInstanceOf(DuplicateEventIdError);

        const next = await append(stream, [anEvent()], 1n);
        expect(next.nextExpectedRevision).toBe(2n);
        expect(next.firstPosition).toBeGreaterThan(original.lastPosition);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(next.lastPosition);
      });
    });
  });
};
