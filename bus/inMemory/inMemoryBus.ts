/**
 * The embedded profile's bus: one process, the same semantics as Kafka as far as the
 * contract checks. A topic is an array of partitions (append-only arrays of records); a
 * record goes to `partitionForKey(key)`. A group keeps one committed offset per
 * partition and its members split the partitions (partition p goes to member
 * p mod members); a partition is handled by one member at a time, batch after batch, and
 * its offset moves only after `onBatch` resolved. A batch whose handler threw is
 * delivered again after a backoff (at least once), and nothing after it is delivered
 * first (per-key order).
 */
import { partitionForKey, type Bus, type BusSubscription, type ConsumedRecord, type SubscribeOptions } from '../bus.ts';

export type InMemoryBusOptions = {
  /** Most records handed to one `onBatch`. Default 500. */
  maxBatchSize?: number;
  /** First retry delay after a handler threw; doubles per failure up to `maxRetryBackoffMs`. Default 50 ms. */
  retryBackoffMs?: number;
  maxRetryBackoffMs?: number;
  /** Partitions of a topic created implicitly (published to or subscribed to before `ensureTopic`). Default 1, like the test broker's num.partitions. */
  defaultPartitions?: number;
  /** Told about every handler failure (the batch is retried). Default: console.error. */
  onHandlerError?: (error: unknown, where: { topic: string; groupId: string; partition: number; offset: string }) => void;
};

type Group = {
  /** Next offset to deliver, per partition. */
  committed: number[];
  members: Member[];
  /** Partitions with a batch in flight: nobody else may take them (even after a reassignment). */
  busy: Set<number>;
};

type Member = {
  closed: boolean;
  done: Promise<void>;
};

type Topic = {
  partitions: ConsumedRecord[][];
  groups: Map<string, Group>;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const createInMemoryBus = ({
  maxBatchSize = 500,
  retryBackoffMs = 50,
  maxRetryBackoffMs = 2_000,
  defaultPartitions = 1,
  onHandlerError = (error, where) => console.error(`in-memory bus: onBatch failed, will retry`, where, error),
}: InMemoryBusOptions = {}): Bus => {
  const topics = new Map<string, Topic>();
  const subscriptions = new Set<BusSubscription>();
  let closed = false;

  // One change signal for the whole bus: publish, commit, join and leave wake every idle member.
  let waiters: Array<() => void> = [];
  const notify = () => {
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };
  const changed = (timeoutMs: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  const assertOpen = () => {
    if (closed) throw new Error('bus is closed');
  };

  const topicFor = (name: string, partitions = defaultPartitions): Topic => {
    let topic = topics.get(name);
    if (!topic) {
      topic = { partitions: Array.from({ length: partitions }, () => []), groups: new Map() };
      topics.set(name, topic);
    }
    return topic;
  };

  const run = async (topicName: string, topic: Topic, groupId: string, group: Group, member: Member, onBatch: SubscribeOptions['onBatch']) => {
    const failures = new Map<number, number>();
    const retryAt = new Map<number, number>();
    await sleep(0); // never call onBatch from inside subscribe()
    while (!member.closed) {
      let progressed = false;
      let nextRetry = Infinity;
      const index = group.members.indexOf(member);
      const count = group.members.length;
      for (let partition = 0; partition < topic.partitions.length && !member.closed; partition++) {
        if (partition % count !== index || group.busy.has(partition)) continue;
        const at = retryAt.get(partition) ?? 0;
        if (at > Date.now()) {
          nextRetry = Math.min(nextRetry, at);
          continue;
        }
        const log = topic.partitions[partition]!;
        const from = group.committed[partition]!;
        if (from >= log.length) continue;
        const batch = log.slice(from, from + maxBatchSize).map((r) => ({ ...r, headers: { ...r.headers } }));
        group.busy.add(partition);
        try {
          await onBatch(batch);
          group.committed[partition] = Math.max(group.committed[partition]!, from + batch.length);
          failures.delete(partition);
          retryAt.delete(partition);
          progressed = true;
        } catch (error) {
          const n = (failures.get(partition) ?? 0) + 1;
          failures.set(partition, n);
          const delay = Math.min(maxRetryBackoffMs, retryBackoffMs * 2 ** (n - 1));
          retryAt.set(partition, Date.now() + delay);
          nextRetry = Math.min(nextRetry, Date.now() + delay);
          try {
            onHandlerError(error, { topic: topicName, groupId, partition, offset: String(from) });
          } catch {
            // a failing reporter must not stop the consumer
          }
        } finally {
          group.busy.delete(partition);
          notify();
        }
      }
      if (!progressed && !member.closed) await changed(nextRetry === Infinity ? 1_000 : Math.max(1, nextRetry - Date.now()));
      else await Promise.resolve(); // let publishers and other members in between batches
    }
  };

  const bus: Bus = {
    ensureTopic: async (name, partitions) => {
      assertOpen();
      if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
      topicFor(name, partitions);
    },

    publish: async (name, records) => {
      assertOpen();
      const topic = topicFor(name);
      for (const { key, value, headers } of records) {
        const partition = partitionForKey(key, topic.partitions.length);
        const log = topic.partitions[partition]!;
        log.push({ topic: name, key, value, headers: { ...headers }, partition, offset: String(log.length) });
      }
      notify();
    },

    subscribe: async ({ topic: name, groupId, fromBeginning = false, onBatch }) => {
      assertOpen();
      const topic = topicFor(name);
      let group = topic.groups.get(groupId);
      if (!group) {
        group = { committed: [], members: [], busy: new Set() };
        topic.groups.set(groupId, group);
      }
      // A partition the group has never committed starts at its beginning or its end (like auto.offset.reset).
      topic.partitions.forEach((log, partition) => {
        group.committed[partition] ??= fromBeginning ? 0 : log.length;
      });
      const member: Member = { closed: false, done: Promise.resolve() };
      group.members.push(member);
      member.done = run(name, topic, groupId, group, member, onBatch);
      notify();
      const subscription: BusSubscription = {
        close: async () => {
          if (!member.closed) {
            member.closed = true;
            notify();
          }
          await member.done;
          const at = group.members.indexOf(member);
          if (at >= 0) group.members.splice(at, 1);
          subscriptions.delete(subscription);
          notify();
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    close: async () => {
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      await sleep(0);
    },
  };
  return bus;
};
