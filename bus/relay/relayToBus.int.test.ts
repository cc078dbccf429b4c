import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent } from '../../event-store/eventStore.ts';
import { describeWithServer } from '../../testing/servers/serverOrSkip.ts';
import { startKafka } from '../../testing/servers/startKafka.ts';
import { tempEventStore } from '../../testing/tempEventStore.ts';
import type { Bus, BusSubscription, ConsumedRecord } from '../bus.ts';
import { eventually } from '../contract/busContract.ts';
import { createInMemoryBus } from '../inMemory/inMemoryBus.ts';
import { createKafkaBus } from '../kafka/kafkaBus.ts';
import { testKafkaBusOptions } from '../kafka/testKafkaBusOptions.ts';
import { dropDuplicates, type FreshRecord } from './dropDuplicates.ts';
import { chatIdOfStream, parseRelayedEvent } from './relayedEvent.ts';
import { inMemoryCheckpoint, startRelay, type Relay, type RelayCheckpoint } from './relayToBus.ts';

const chats = ['dm-0a1b', 'g-7c2d', 'g-weird-id-with-dashes', 'dm-ffff'];

/** `count` events over the chats' message and receipt streams, plus one non-chat stream the relay skips. */
const appendEvents = async (store: EventStore, count: number, tag: string) => {
  for (let i = 0; i < count; i++) {
    const chat = chats[i % chats.length]!;
    const stream = i % 7 === 3 ? `receipts-${chat}` : i % 11 === 5 ? 'settings-global' : `chat-${chat}`;
    await store.appendToStream(stream, [{ id: randomUUID(), type: i % 2 ? 'MessageSent' : 'ReadUpTo', data: { tag, i } }]);
  }
};

/** The store's chat events, per chat id, in log order. */
const expectedByChat = async (store: EventStore) => {
  const out = new Map<string, RecordedEvent[]>();
  for (const event of await store.readAll()) {
    const chat = chatIdOfStream(event.streamName);
    if (chat !== null) out.set(chat, [...(out.get(chat) ?? []), event]);
  }
  return out;
};

const positionsByKey = (records: readonly { key: string; value: string }[]) => {
  const out = new Map<string, string[]>();
  for (const r of records) out.set(r.key, [...(out.get(r.key) ?? []), parseRelayedEvent(r.value).position.toString()]);
  return out;
};

const count = (byChat: Map<string, RecordedEvent[]>) => [...byChat.values()].reduce((n, events) => n + events.length, 0);

const relayScenarios = (name: string, setup: () => Promise<{ bus: Bus; cleanup(): Promise<void> }>, waitMs: number, timeoutMs: number) =>
  describe(`relay to the bus: ${name}`, () => {
    let bus: Bus;
    let cleanupBus: () => Promise<void>;
    const toClose: Array<() => Promise<void>> = [];
    beforeAll(async () => {
      ({ bus, cleanup: cleanupBus } = await setup());
    }, timeoutMs);
    afterEach(async () => {
      for (const close of toClose.splice(0).reverse()) await close().catch(() => {});
    }, timeoutMs);
    afterAll(async () => cleanupBus?.(), timeoutMs);

    const openStore = () => {
      const temp = tempEventStore();
      const store = temp.open();
      toClose.push(async () => temp.cleanup(), () => store.close());
      return store;
    };
    const subscribe = async (topic: string, onBatch: (records: ConsumedRecord[]) => Promise<void>) => {
      const subscription: BusSubscription = await bus.subscribe({ topic, groupId: `relay-test-${randomUUID()}`, fromBeginning: true, onBatch });
      toClose.push(() => subscription.close());
    };

    it(
      'publishes every chat event keyed by chat id, per chat in log order, catch-up then live',
      async () => {
        const store = openStore();
        const topic = `chat.events-${randomUUID()}`;
        await bus.ensureTopic(topic, 3);
        await appendEvents(store, 50, 'before');
        const got: ConsumedRecord[] = [];
        await subscribe(topic, async (records) => void got.push(...records));

        const checkpoint = inMemoryCheckpoint();
        const relay = await startRelay({ store, bus, checkpoint, topic, maxBatchSize: 7 });
        toClose.push(() => relay.close());
        await relay.caughtUp;
        await appendEvents(store, 30, 'live');

        const expected = await expectedByChat(store);
        await eventually('every chat event', () => got.length >= count(expected), waitMs);
        await eventually('the checkpoint at the head', () => checkpoint.position() === 80n, waitMs);
        expect(got).toHaveLength(count(expected));
        const byKey = positionsByKey(got);
        expect([...byKey.keys()].sort()).toEqual([...chats].sort());
        for (const [chat, events] of expected) expect(byKey.get(chat)).toEqual(events.map((e) => e.position.toString()));

        // The value carries the stored event.
        const first = expected.get(chats[0]!)![0]!;
        const record = got.find((r) => parseRelayedEvent(r.value).id === first.id)!;
        expect(JSON.parse(record.value)).toEqual({
          position: first.position.toString(),
          streamName: first.streamName,
          revision: first.revision.toString(),
          id: first.id,
          type: first.type,
          data: first.data,
          recordedAt: first.recordedAt.toISOString(),
        });
        expect(record.headers).toEqual({ type: first.type });
        await relay.close();
        await relay.done;
      },
      timeoutMs,
    );

    it(
      'restarted from its checkpoint after a crash and after a close, loses nothing; the filter drops what it republished',
      async () => {
        const store = openStore();
        const topic = `chat.events-${randomUUID()}`;
        await bus.ensureTopic(topic, 3);
        await appendEvents(store, 60, 'first');

        const raw: ConsumedRecord[] = [];
        const applied: FreshRecord[] = [];
        const handler = dropDuplicates(async (fresh) => void applied.push(...fresh));
        await subscribe(topic, async (records) => {
          raw.push(...records);
          await handler(records);
        });

        // 1. A relay that dies between the broker's ack and the checkpoint save of its third batch.
        const stored = inMemoryCheckpoint();
        let saves = 0;
        const crashing: RelayCheckpoint = {
          load: () => stored.load(),
          save: async (p) => {
            if (++saves === 3) throw new Error('killed before the checkpoint was saved (on purpose)');
            await stored.save(p);
          },
        };
        const first = await startRelay({ store, bus, checkpoint: crashing, topic, maxBatchSize: 10 });
        await expect(first.done).rejects.toThrow(/on purpose/);
        expect(stored.position()).toBe(20n); // batch 3 (21..30) was published, not checkpointed

        // 2. Restarted from the checkpoint (republishes 21..30), then closed mid-way: right after it checkpointed 40.
        let second: Relay | undefined;
        const closingAt40: RelayCheckpoint = {
          load: () => stored.load(),
          save: async (p) => {
            await stored.save(p);
            if (p >= 40n) void second?.close(); // not awaited: close() waits for this very batch
          },
        };
        second = await startRelay({ store, bus, checkpoint: closingAt40, topic, maxBatchSize: 10 });
        toClose.push(() => second.close());
        await second.done;
        expect(stored.position()).toBe(40n);
        await appendEvents(store, 40, 'while down');

        // 3. Started again: from where the second one stopped.
        const third = await startRelay({ store, bus, checkpoint: stored, topic, maxBatchSize: 10 });
        toClose.push(() => third.close());
        await third.caughtUp;
        await appendEvents(store, 10, 'live');

        const expected = await expectedByChat(store);
        await eventually('every chat event applied', () => applied.length >= count(expected), waitMs);
        await eventually('the checkpoint at the head', () => stored.position() === 110n, waitMs);
        // Republished: batch 3's chat events arrived twice, and the filter dropped them.
        expect(raw.length).toBeGreaterThan(applied.length);
        expect(applied).toHaveLength(count(expected));
        const byKey = positionsByKey(applied);
        for (const [chat, events] of expected) expect(byKey.get(chat)).toEqual(events.map((e) => e.position.toString()));
        const dropped = raw.length - applied.length;
        const batch3 = (await store.readAll({ after: 20n, maxCount: 10 })).filter((e) => chatIdOfStream(e.streamName) !== null);
        expect(dropped).toBeGreaterThanOrEqual(batch3.length);
      },
      timeoutMs,
    );
  });

relayScenarios(
  'in memory',
  async () => {
    const bus = createInMemoryBus({ onHandlerError: () => {} });
    return { bus, cleanup: () => bus.close() };
  },
  5_000,
  15_000,
);

describeWithServer(
  'kafka',
  startKafka,
  (server) => {
    relayScenarios(
      'kafka',
      async () => {
        const bus = createKafkaBus(testKafkaBusOptions(server().brokers));
        return { bus, cleanup: () => bus.close() };
      },
      20_000,
      40_000,
    );
  },
  { startTimeoutMs: 60_000, stopTimeoutMs: 20_000 },
);
