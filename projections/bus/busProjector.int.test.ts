import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKafkaBus } from '../../bus/kafka/kafkaBus.ts';
import { testKafkaBusOptions } from '../../bus/kafka/testKafkaBusOptions.ts';
import { inMemoryCheckpoint, startRelay, type Relay } from '../../bus/relay/relayToBus.ts';
import type { Bus } from '../../bus/bus.ts';
import { createCommands, type Commands } from '../../commands/index.ts';
import type { SqliteEventStore } from '../../event-store/sqlite/sqliteEventStore.ts';
import { describeWithServer } from '../../testing/servers/serverOrSkip.ts';
import { startFerretDb } from '../../testing/servers/startFerretDb.ts';
import { startKafka } from '../../testing/servers/startKafka.ts';
import { tempEventStore } from '../../testing/tempEventStore.ts';
import { allProjections } from '../allProjections.ts';
import { createMongoReadSide } from '../mongo/mongoReadSide.ts';
import { createMongoReadStore, type MongoReadStore } from '../mongo/mongoReadStore.ts';
import { startBusProjector, type BusProjector } from './busProjector.ts';

/**
 * Acceptance (replay on the production read models): a projection rebuilt from position
 * 0 into new MongoDB collections while sends go on, then switched to: every message of
 * every chat is in the new build exactly once, in seq order, none lost at the switch.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHATS = 6;

describeWithServer('kafka', startKafka, (kafka) =>
  describeWithServer('ferretdb', startFerretDb, (ferret) => {
    let temp: ReturnType<typeof tempEventStore>;
    let store: SqliteEventStore;
    let bus: Bus;
    let client: MongoClient;
    let readStore: MongoReadStore;
    let relay: Relay;
    let projector: BusProjector;
    let commands: Commands;
    const sent = new Map<string, number>();
    /** `chat:seq` of every history message the projector wrote, in order (the real store, observed). */
    const historyPuts: string[] = [];
    const topic = `chat.events.replay.${process.pid}`;

    const send = async (i: number) => {
      const ack = await commands.sendMessage({ senderId: `u${i % CHATS}`, receiverId: 'hub', clientMsgId: `m-${i}`, messageType: 'text', content: `message ${i}` });
      sent.set(ack.chatId, Math.max(sent.get(ack.chatId) ?? 0, ack.seq));
    };

    beforeAll(async () => {
      temp = tempEventStore();
      store = temp.open();
      commands = createCommands(store);
      bus = createKafkaBus(testKafkaBusOptions(kafka().brokers));
      await bus.ensureTopic(topic, 3);
      client = await new MongoClient(ferret().url, { serverSelectionTimeoutMS: 5_000 }).connect();
      readStore = await createMongoReadStore({ url: ferret().url, dbName: `replay_${process.pid}`, client });
      for (let i = 0; i < 300; i++) await send(i);
      relay = await startRelay({ store, bus, checkpoint: inMemoryCheckpoint(), topic });
      const observed: MongoReadStore = {
        ...readStore,
        applyBatch: async (batches) => {
          for (const b of batches) if (b.name === 'history') for (const w of b.writes) if (w.op === 'put' && w.table === 'messages') historyPuts.push(`${w.row.chat_id}:${w.row.seq}`);
          return readStore.applyBatch(batches);
        },
      };
      // Positions of 2 chats in memory for 6 chats: the others come from projected_positions as they come up.
      projector = await startBusProjector({ bus, store, readStore: observed, projections: allProjections, topic, groupId: `projector-${process.pid}`, appliedCapacity: 2 });
    }, 120_000);
    afterAll(async () => {
      await projector?.stop();
      await relay?.close();
      await bus?.close();
      await client?.close();
      await store?.close();
      temp?.cleanup();
    }, 60_000);

    it('rebuilds history from position 0 into new collections while traffic continues, then switches with nothing lost', async () => {
      const before = readStore.liveBuild('history');
      expect(before).toBeDefined();

      // Sends while the rebuild runs, a bounded number: a loaded machine must not let them outrun it forever.
      let traffic = true;
      let duringRebuild = 0;
      const sender = (async () => {
        for (let i = 300; traffic && i < 450; i++) {
          await send(i);
          duringRebuild++;
          await sleep(25);
        }
      })();
      const progress: number[] = [];
      const result = await projector.rebuild('history', (p) => progress.push(p.applied));
      traffic = false;
      await sender;

      expect(result.state).toBe('live');
      expect(duringRebuild).toBeGreaterThan(0);
      expect(progress.length).toBeGreaterThan(0);
      const after = readStore.liveBuild('history')!;
      expect(after).toBeGreaterThan(before!);
      expect((await readStore.builds()).filter((b) => b.name === 'history').map((b) => b.build)).toEqual([after]);
      const collections = (await readStore.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      expect(collections.some((c) => c.startsWith(`history_${before}_`))).toBe(false);

      // Reads through the new build, once the bus feed has caught up with the last sends.
      const readSide = createMongoReadSide({ store, readStore });
      for (const [chatId, lastSeq] of sent) {
        await readSide.fresh(chatId, 30_000);
        const page = await readSide.queries.history(chatId, 'hub', { after: 0, limit: 200 });
        expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
      }
    }, 120_000);

    it('drops a republished log whole, though it keeps the applied positions of only 2 of the 6 chats in memory', async () => {
      const readSide = createMongoReadSide({ store, readStore });
      for (const chatId of sent.keys()) await readSide.fresh(chatId, 30_000);
      const from = historyPuts.length;
      // A relay with no checkpoint publishes the whole log again; then one new message per chat, behind
      // the repeats on the chat's partition: once a chat's new message is read, its repeats were consumed.
      const again = await startRelay({ store, bus, checkpoint: inMemoryCheckpoint(), topic });
      try {
        const fresh: string[] = [];
        for (let i = 0; i < CHATS; i++) {
          const ack = await commands.sendMessage({ senderId: `u${i}`, receiverId: 'hub', clientMsgId: `after-replay-${i}`, messageType: 'text', content: 'new' });
          fresh.push(`${ack.chatId}:${ack.seq}`);
        }
        for (const key of fresh) await readSide.fresh(key.slice(0, key.lastIndexOf(':')), 30_000);
        expect(historyPuts.slice(from).sort()).toEqual(fresh.sort());
      } finally {
        await again.close();
      }
    }, 120_000);
  }, { startTimeoutMs: 60_000 }),
);
