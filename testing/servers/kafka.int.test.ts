import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterEach, expect, it } from 'vitest';
import { describeWithServer } from './serverOrSkip.ts';
import { startKafka } from './startKafka.ts';

describeWithServer(
  'kafka',
  startKafka,
  (getServer) => {
    let producer: Producer | undefined;
    let consumer: Consumer | undefined;
    // After each test, not all: a later test restarts the broker, and a client still connected would log its reconnects.
    afterEach(async () => {
      await consumer?.disconnect().catch(() => {});
      await producer?.disconnect().catch(() => {});
      consumer = producer = undefined;
    });

    it(
      'creates a topic, produces keyed messages and consumes them in a consumer group through kafkajs',
      async () => {
        const kafka = new Kafka({ clientId: 'chat-smoke', brokers: getServer().brokers, logLevel: logLevel.WARN });
        const topic = `chat-events-${randomUUID()}`;

        const admin = kafka.admin();
        await admin.connect();
        try {
          expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
          expect(await admin.listTopics()).toContain(topic);
        } finally {
          await admin.disconnect();
        }

        producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
        await producer.connect();
        const sent = [
          { key: 'chat-1', value: 'm1' },
          { key: 'chat-2', value: 'm2' },
          { key: 'chat-1', value: 'm3' },
        ];
        const metadata = await producer.send({ topic, messages: sent });
        expect(metadata.every((m) => m.errorCode === 0)).toBe(true);

        consumer = kafka.consumer({ groupId: `chat-smoke-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        const received: Array<{ key: string; value: string; partition: number }> = [];
        const allReceived = new Promise<void>((resolve) => {
          void consumer!.run({
            eachMessage: async ({ partition, message }) => {
              received.push({ key: message.key!.toString(), value: message.value!.toString(), partition });
              if (received.length === sent.length) resolve();
            },
          });
        });
        await allReceived;

        expect(received.map(({ key, value }) => ({ key, value })).sort((a, b) => a.value.localeCompare(b.value))).toEqual(sent);
        // Same key, same partition, in order: chat-1's messages keep their order.
        const chat1 = received.filter((r) => r.key === 'chat-1');
        expect(chat1.map((r) => r.value)).toEqual(['m1', 'm3']);
        expect(new Set(chat1.map((r) => r.partition)).size).toBe(1);
      },
      45_000,
    );

    it(
      'keeps its topics, records and committed offsets across a kill -9 and restart on the same brokers',
      async () => {
        const kafka = new Kafka({ clientId: 'chat-restart', brokers: getServer().brokers, logLevel: logLevel.NOTHING });
        const topic = `chat-restart-${randomUUID()}`;
        const groupId = `chat-restart-${randomUUID()}`;
        /** Runs a consumer in `group` until it has `count` values, then leaves (its offsets committed). */
        const read = async (group: string, count: number): Promise<string[]> => {
          const reader = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
          await reader.connect();
          try {
            await reader.subscribe({ topic, fromBeginning: true });
            const values: string[] = [];
            await new Promise<void>((resolve) => {
              void reader.run({
                eachMessage: async ({ message }) => {
                  values.push(message.value!.toString());
                  if (values.length === count) resolve();
                },
              });
            });
            return values;
          } finally {
            await reader.disconnect();
          }
        };
        const admin = kafka.admin();
        const sender = kafka.producer({ allowAutoTopicCreation: false });
        await admin.connect();
        await sender.connect();
        try {
          await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
          await sender.send({ topic, messages: [{ value: 'before' }] });
          expect(await read(groupId, 1)).toEqual(['before']);

          await getServer().kill();
          await getServer().restart();

          // The same admin and producer reconnect by themselves.
          expect(await admin.listTopics()).toContain(topic);
          expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([{ topic, partitions: [expect.objectContaining({ partition: 0, offset: '1' })] }]);
          await sender.send({ topic, messages: [{ value: 'after' }] });
          // A new group reads the record from before the restart; the old group resumes after it.
          expect(await read(`${groupId}-new`, 2)).toEqual(['before', 'after']);
          expect(await read(groupId, 1)).toEqual(['after']);
        } finally {
          await sender.disconnect().catch(() => {});
          await admin.disconnect().catch(() => {});
        }
      },
      90_000,
    );
  },
  // Formatting the log dir and starting the JVM broker: ~5-10 s here, more on a loaded machine.
  { startTimeoutMs: 60_000, stopTimeoutMs: 20_000 },
);
