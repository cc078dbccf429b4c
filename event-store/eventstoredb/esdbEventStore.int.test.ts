import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anEvent, idsOf, rejectionOf, sleep, someEvents, uniqueStream, waitUntil } from '../contract/contractHelpers.ts';
import { eventStoreContract } from '../contract/eventStoreContract.ts';
import { DuplicateEventIdError } from '../errors.ts';
import type { EventStore } from '../eventStore.ts';
import { createEsdbEventStore } from './esdbEventStore.ts';

/**
 * Runs against the EventStoreDB server EVENTSTORE_URL names (e.g. `esdb://localhost:2113?tls=false`
 * from `docker compose up eventstore`, which runs the system projections readEventById needs).
 * No EventStoreDB can be installed on the build machine (design.md, "Real servers in tests"),
 * so without EVENTSTORE_URL these tests are not run, and say so.
 */
const url = process.env.EVENTSTORE_URL;

/** The first non-null answer of `read`, polled: for what the server does in the background. */
const eventually = async <T>(read: () => Promise<T | null>, what: string, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
};
if (!url) {
  console.warn(
    '\n!!! SKIPPING the EventStoreDB adapter tests: EVENTSTORE_URL is not set.' +
      '\n!!! Run them with: docker compose up -d eventstore && EVENTSTORE_URL=esdb://localhost:2113?tls=false npx vitest run event-store/eventstoredb\n',
  );
}

describe.runIf(Boolean(url))('EventStoreDB (EVENTSTORE_URL)', () => {
  eventStoreContract('EventStoreDB', async () => {
    const store = createEsdbEventStore({ connectionString: url! });
    return { store, cleanup: () => store.close() };
  });

  describe('EventStoreDB adapter', () => {
    const opened: EventStore[] = [];
    const open = (options: { streamPrefixes?: string[] } = {}) => {
      const store = createEsdbEventStore({ connectionString: url!, ...options });
      opened.push(store);
      return store;
    };
    let store: EventStore;
    beforeEach(() => {
      store = open();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it("a single-event append reports the position $all and the stream have for it (the server's answer, not a read back)", async () => {
      const stream = uniqueStream('single');
      const before = await store.headPosition();
      const result = await store.appendToStream(stream, [anEvent()], { expectedRevision: 'no_stream' });
      const [fromStream] = await store.readStream(stream);
      const fromAll = (await store.readAll({ after: before })).find((event) => event.streamName === stream);
      expect(result.firstPosition).toBe(result.lastPosition);
      expect(fromStream!.position).toBe(result.firstPosition);
      expect(fromAll).toEqual(fromStream);
    });

    it('finds an event appended by another instance once $by_correlation_id has indexed it, and then refuses its id elsewhere', async () => {
      const stream = uniqueStream('by-id-elsewhere');
      const written = anEvent();
      await store.appendToStream(stream, [anEvent(), written]);
      const [, stored] = await store.readStream(stream);

      const other = open(); // remembers nothing: only the projection can answer
      const found = await eventually(() => other.readEventById(written.id), 'the $bc-<id> link (are system projections running?)');
      expect(found).toEqual(stored);

      const duplicate = await rejectionOf(other.appendToStream(uniqueStream('by-id-other'), [written]));
      expect(duplicate).toBeInstanceOf(DuplicateEventIdError);
      expect(duplicate).toMatchObject({ eventId: written.id, existingStream: stream });
    });

    it('a retry of the same append through another instance is idempotent at the server, with the original result', async () => {
      for (const count of [1, 3]) {
        const stream = uniqueStream('retry');
        const events = someEvents(count);
        const original = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        const retried = await open().appendToStream(stream, events, { expectedRevision: 'no_stream' });
        expect(retried).toEqual(original);
        expect(idsOf(await store.readStream(stream))).toEqual(idsOf(events));
      }
    });

    it('with streamPrefixes, only those streams are on $all; the head is their last event, not the system events after it', async () => {
      const prefix = `pfx-${randomUUID()}-`;
      const scoped = open({ streamPrefixes: [prefix] });
      expect(await scoped.headPosition()).toBe(0n);
      const before = await store.headPosition();

      const mine = await scoped.appendToStream(`${prefix}a`, someEvents(2));
      await store.appendToStream(uniqueStream('not-mine'), someEvents(2));

      expect(await scoped.headPosition()).toBe(mine.lastPosition);
      expect((await scoped.readAll({ after: before })).map((event) => event.streamName)).toEqual([`${prefix}a`, `${prefix}a`]);

      const received: string[] = [];
      const subscription = scoped.subscribeToAll({ after: before, onEvents: (events) => void received.push(...idsOf(events)) });
      await subscription.caughtUp;
      const live = anEvent();
      await store.appendToStream(uniqueStream('not-mine'), [anEvent()]);
      await scoped.appendToStream(`${prefix}b`, [live]);
      await waitUntil(() => received.length === 3, 'the live event of the prefix');
      expect(received[2]).toBe(live.id);
      await subscription.close();
    });

    it('close() ends open subscriptions, then refuses everything', async () => {
      const closing = open();
      const subscription = closing.subscribeToAll({ after: 'end', onEvents: () => {} });
      await subscription.caughtUp;
      await closing.close();
      await expect(subscription.done).resolves.toBeUndefined();
      await expect(closing.readStream(uniqueStream('closed'))).rejects.toThrow('closed');
    });
  });
});
