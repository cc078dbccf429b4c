import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey, type Bus, type BusSubscription, type ConsumedRecord } from '../bus.ts';

export type BusFixture = {
  bus: Bus;
  /** A second client on the same backend (another process); the in-process bus returns itself. */
  another(): Promise<Bus>;
  cleanup(): Promise<void>;
};

export type BusContractOptions = {
  /** How long to wait for records to arrive. */
  waitMs: number;
  /** Per-test timeout. */
  testTimeoutMs: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it is true; throws (with `what`) after `timeoutMs`. */
export const eventually = async (what: string, check: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(20);
  }
};

const unique = (what: string) => `bus-test-${what}-${randomUUID()}`;

/** Per key, the values in the order they were delivered. */
const valuesByKey = (records: readonly ConsumedRecord[]) => {
  const out = new Map<string, string[]>();
  for (const r of records) out.set(r.key, [...(out.get(r.key) ?? []), r.value]);
  return out;
};

/** Delivered values with redeliveries removed (first occurrence kept), per key. */
const firstSeenByKey = (records: readonly ConsumedRecord[]) => {
  const out = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const r of records) {
    const id = `${r.partition}@${r.offset}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.set(r.key, [...(out.get(r.key) ?? []), r.value]);
  }
  return out;
};

/** The one suite every Bus adapter passes. Topics and groups are unique per test, so a shared broker is fine. */
export const busContract = (name: string, setup: () => Promise<BusFixture>, { waitMs, testTimeoutMs }: BusContractOptions) =>
  describe(`Bus contract: ${name}`, () => {
    let fx: BusFixture;
    const open: BusSubscription[] = [];
    beforeAll(async () => {
      fx = await setup();
    }, testTimeoutMs);
    afterAll(async () => {
      await Promise.all(open.map((s) => s.close()));
      await fx?.cleanup();
    }, testTimeoutMs);

    /** Subscribes and collects every delivered record into `into`. */
    const collect = async (
      bus: Bus,
      topic: string,
      groupId: string,
      into: ConsumedRecord[],
      { fromBeginning = true, before }: { fromBeginning?: boolean; before?: (records: ConsumedRecord[]) => void } = {},
    ) => {
      const subscription = await bus.subscribe({
        topic,
        groupId,
        fromBeginning,
        onBatch: async (records) => {
          before?.(records);
          into.push(...records);
        },
      });
      open.push(subscription);
      return subscription;
    };

    it(
      'delivers published records with their key, value, headers, topic, partition and offset',
      async () => {
        const topic = unique('basic');
        await fx.bus.ensureTopic(topic, 3);
        await fx.bus.ensureTopic(topic, 3); // again: nothing changes
        const got: ConsumedRecord[] = [];
        await collect(fx.bus, topic, unique('g'), got);
        await fx.bus.publish(topic, [
          { key: 'chat-a', value: 'héllo ✓', headers: { type: 'MessageSent', trace: 't-1' } },
          { key: 'chat-b', value: '{"n":2}' },
          { key: 'chat-a', value: '' },
        ]);
        await eventually('3 records', () => got.length >= 3, waitMs);
        expect(got).toHaveLength(3);
        const a = got.filter((r) => r.key === 'chat-a');
        expect(a.map((r) => r.value)).toEqual(['héllo ✓', '']);
        expect(a[0]!.headers).toEqual({ type: 'MessageSent', trace: 't-1' });
        expect(a[1]!.headers).toEqual({});
        for (const r of got) {
          expect(r.topic).toBe(topic);
          // Kafka's default partitioner (murmur2), the same in both adapters.
          expect(r.partition).toBe(partitionForKey(r.key, 3));
          expect(r.offset).toMatch(/^\d+$/);
        }
        expect(BigInt(a[1]!.offset)).toBeGreaterThan(BigInt(a[0]!.offset));
      },
      testTimeoutMs,
    );

    it(
      'keeps per-key order across many records, several keys and several publishes',
      async () => {
        const topic = unique('order');
        await fx.bus.ensureTopic(topic, 4);
        const keys = Array.from({ length: 6 }, (_, i) => `chat-${i}`);
        const perKey = 80;
        const got: ConsumedRecord[] = [];
        await collect(fx.bus, topic, unique('g'), got);
        // Interleaved keys, published in chunks of 37 (concurrent with consumption).
        const all = Array.from({ length: perKey }, (_, n) => keys.map((key) => ({ key, value: String(n) }))).flat();
        for (let i = 0; i < all.length; i += 37) await fx.bus.publish(topic, all.slice(i, i + 37));
        await eventually(`${all.length} records`, () => got.length >= all.length, waitMs);
        expect(got).toHaveLength(all.length);
        const expected = Array.from({ length: perKey }, (_, n) => String(n));
        const byKey = valuesByKey(got);
        for (const key of keys) {
          expect(byKey.get(key)).toEqual(expected);
          expect(new Set(got.filter((r) => r.key === key).map((r) => r.partition)).size).toBe(1);
        }
      },
      testTimeoutMs,
    );

    it(
      'splits a group’s partitions between its consumers; another group sees everything',
      async () => {
        const topic = unique('groups');
        await fx.bus.ensureTopic(topic, 4);
        const group = unique('shared');
        const first: ConsumedRecord[] = [];
        const second: ConsumedRecord[] = [];
        const other: ConsumedRecord[] = [];
        const otherBus = await fx.another();
        await collect(fx.bus, topic, group, first);
        await collect(otherBus, topic, group, second);
        await collect(otherBus, topic, unique('other'), other);
        const records = Array.from({ length: 60 }, (_, i) => ({ key: `chat-${i % 20}`, value: `v${i}` }));
        await fx.bus.publish(topic, records);
        const values = (rs: ConsumedRecord[]) => new Set(rs.map((r) => r.value));
        await eventually('the group to see every record', () => values([...first, ...second]).size === records.length, waitMs);
        await eventually('the other group to see every record', () => values(other).size === records.length, waitMs);
        // Both members worked, on different partitions.
        expect(first.length).toBeGreaterThan(0);
        expect(second.length).toBeGreaterThan(0);
        const firstPartitions = new Set(first.map((r) => r.partition));
        expect(second.filter((r) => firstPartitions.has(r.partition))).toEqual([]);
        expect(valuesByKey(other).get('chat-0')).toEqual(['v0', 'v20', 'v40']);
      },
      testTimeoutMs,
    );

    it(
      'delivers a batch again after its handler threw, and skips nothing after it',
      async () => {
        const topic = unique('retry');
        await fx.bus.ensureTopic(topic, 2);
        const delivered: ConsumedRecord[] = [];
        let failures = 0;
        const subscription = await fx.bus.subscribe({
          topic,
          groupId: unique('g'),
          fromBeginning: true,
          onBatch: async (records) => {
            delivered.push(...records);
            if (failures < 2 && records.some((r) => r.value === 'poison')) {
              failures++;
              throw new Error('handler failed (on purpose)');
            }
          },
        });
        open.push(subscription);
        const before = Array.from({ length: 10 }, (_, i) => ({ key: 'chat-x', value: i === 4 ? 'poison' : `a${i}` }));
        await fx.bus.publish(topic, before);
        await eventually('two failures', () => failures === 2, waitMs);
        const after = Array.from({ length: 10 }, (_, i) => ({ key: 'chat-x', value: `b${i}` }));
        await fx.bus.publish(topic, after);
        await eventually('every record', () => firstSeenByKey(delivered).get('chat-x')?.length === 20, waitMs);
        // Redelivered: the poison record came three times (two failures, then success).
        expect(delivered.filter((r) => r.value === 'poison')).toHaveLength(3);
        // In order once redeliveries are dropped; nothing skipped.
        expect(firstSeenByKey(delivered).get('chat-x')).toEqual([...before, ...after].map((r) => r.value));
        // Each redelivery starts again at the failed batch's first record: the order never goes backwards past it.
        const offsets = delivered.map((r) => Number(r.offset));
        const firstPoison = offsets[delivered.findIndex((r) => r.value === 'poison')]!;
        expect(offsets.filter((o, i) => i > 0 && o < offsets[i - 1]!).every((o) => o <= firstPoison)).toBe(true);
      },
      testTimeoutMs,
    );

    it(
      'resumes after the last committed offset when the group subscribes again',
      async () => {
        const topic = unique('resume');
        await fx.bus.ensureTopic(topic, 3);
        const group = unique('g');
        const firstRun: ConsumedRecord[] = [];
        const first = await collect(fx.bus, topic, group, firstRun);
        const batchA = Array.from({ length: 30 }, (_, i) => ({ key: `chat-${i % 3}`, value: `a${i}` }));
        await fx.bus.publish(topic, batchA);
        await eventually('the first 30', () => firstRun.length >= 30, waitMs);
        await first.close();

        const batchB = Array.from({ length: 30 }, (_, i) => ({ key: `chat-${i % 3}`, value: `b${i}` }));
        await fx.bus.publish(topic, batchB); // nobody of the group is listening
        const secondRun: ConsumedRecord[] = [];
        const otherBus = await fx.another(); // another process takes over
        await collect(otherBus, topic, group, secondRun);
        await eventually('the next 30', () => secondRun.length >= 30, waitMs);
        await sleep(300);
        // Every batch of the first run was committed before close() returned: nothing again, nothing lost.
        expect(secondRun.map((r) => r.value).sort()).toEqual(batchB.map((r) => r.value).sort());
        expect(valuesByKey(secondRun).get('chat-0')).toEqual(batchB.filter((r) => r.key === 'chat-0').map((r) => r.value));
      },
      testTimeoutMs,
    );

    it(
      'starts a new group at the beginning with fromBeginning, at the end without',
      async () => {
        const topic = unique('start');
        await fx.bus.ensureTopic(topic, 2);
        const old = Array.from({ length: 5 }, (_, i) => ({ key: `chat-${i}`, value: `old${i}` }));
        await fx.bus.publish(topic, old);
        const fromStart: ConsumedRecord[] = [];
        const fromEnd: ConsumedRecord[] = [];
        await collect(fx.bus, topic, unique('start'), fromStart, { fromBeginning: true });
        await collect(fx.bus, topic, unique('end'), fromEnd, { fromBeginning: false });
        await fx.bus.publish(topic, [{ key: 'chat-0', value: 'new' }]);
        await eventually('all six from the beginning', () => fromStart.length >= 6, waitMs);
        await eventually('the new one at the end', () => fromEnd.length >= 1, waitMs);
        await sleep(200);
        expect(fromStart.map((r) => r.value).sort()).toEqual([...old.map((r) => r.value), 'new'].sort());
        expect(fromEnd.map((r) => r.value)).toEqual(['new']);
      },
      testTimeoutMs,
    );
  });
