import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeWithServer } from '../../testing/servers/serverOrSkip.ts';
import { startKafka } from '../../testing/servers/startKafka.ts';
import type { Bus, ConsumedRecord } from '../bus.ts';
import { busContract, eventually } from '../contract/busContract.ts';
import { createKafkaBus } from './kafkaBus.ts';
import { testKafkaBusOptions } from './testKafkaBusOptions.ts';

describeWithServer(
  'kafka',
  startKafka,
  (server) => {
    busContract(
      'kafka',
      async () => {
        const buses: Bus[] = [createKafkaBus(testKafkaBusOptions(server().brokers))];
        return {
          bus: buses[0]!,
          another: async () => {
            const other = createKafkaBus(testKafkaBusOptions(server().brokers));
            buses.push(other);
            return other;
          },
          cleanup: async () => void (await Promise.all(buses.map((b) => b.close()))),
        };
      },
      { waitMs: 20_000, testTimeoutMs: 40_000 },
    );

    it(
      'restarts a consumer whose handler kept failing past its retries, from the committed offset',
      async () => {
        const crashes: unknown[] = [];
        const bus = createKafkaBus({
          ...testKafkaBusOptions(server().brokers),
          consumer: { sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200, retries: 1, initialRetryTime: 100, maxRetryTime: 200 },
          onError: (error, where) => void (where.crash && crashes.push(error)),
        });
        try {
          const topic = `bus-test-crash-${randomUUID()}`;
          await bus.ensureTopic(topic, 1);
          await bus.publish(topic, [{ key: 'k', value: 'one' }]);
          const seen: ConsumedRecord[] = [];
          const processed: string[] = [];
          let failures = 0;
          await bus.subscribe({
            topic,
            groupId: `bus-test-${randomUUID()}`,
            fromBeginning: true,
            onBatch: async (records) => {
              seen.push(...records);
              if (records.some((r) => r.value === 'two') && failures++ < 5) throw new Error('still failing (on purpose)');
              processed.push(...records.map((r) => r.value));
            },
          });
          await eventually('the first record', () => seen.length === 1, 20_000);
          await bus.publish(topic, [{ key: 'k', value: 'two' }, { key: 'k', value: 'three' }]);
          await eventually('three processed after the failures', () => processed.includes('three'), 30_000);
          expect(processed).toEqual(['one', 'two', 'three']);
          // One try and one retry per run: at least two crashes and restarts for five failures.
          expect(crashes.length).toBeGreaterThanOrEqual(2);
          // 'one' was committed before the crashes: the restarts began at 'two'.
          expect(seen.filter((r) => r.value === 'one')).toHaveLength(1);
          expect(seen.filter((r) => r.value === 'two').length).toBe(6);
        } finally {
          await bus.close();
        }
      },
      40_000,
    );
  },
  // One broker for the whole file: ~5-10 s to start here, more on a loaded machine.
  { startTimeoutMs: 60_000, stopTimeoutMs: 20_000 },
);
