import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, expect, it } from 'vitest';
import { describeWithServer } from './serverOrSkip.ts';
import { startKafka } from './startKafka.ts';

describeWithServer(
  'kafka',
  startKafka,
  (getServer) => {
    let producer: Producer | undefined;
    let consumer: Consumer | undefined;
    afterAll(async () => {
      await consumer?.disconnect().catch(() => {});
      await producer?.disconnect().catch(() => {});
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
  },
  // Formatting the log dir and starting the JVM broker: ~5-10 s here, more on a loaded machine.
  { startTimeoutMs: 60_000, stopTimeoutMs: 20_000 },
);
