/**
 * The production bus on Kafka, through kafkajs 2.
 *
 * - Producer: idempotent (`idempotent: true`, one request in flight per broker, kafkajs'
 *   unlimited retries), `acks: -1` (all in-sync replicas): `publish` resolves once the
 *   broker acknowledged. Kafka's default partitioner (murmur2 of the key).
 * - Consumer: one kafkajs consumer per subscription, `eachBatch` with auto-resolve off.
 *   After `onBatch` resolved, the batch's last offset is resolved and committed (a
 *   synchronous OffsetCommit) before the next batch; a batch whose handler threw resolves
 *   nothing, so kafkajs fetches it again after its retry backoff, and after the retries
 *   are spent the consumer crashes and restarts (`restartOnFailure`), rejoining the group
 *   from the committed offsets.
 * - `ensureTopic`: the admin client's createTopics (waits for leaders).
 */
import { Kafka, Partitioners, logLevel as LogLevel, type Admin, type Consumer, type IHeaders, type logCreator, type Producer } from 'kafkajs';
import type { Bus, BusHeaders, BusSubscription, ConsumedRecord } from '../bus.ts';

export type KafkaBusOptions = {
  brokers: string[];
  clientId?: string;
  /** kafkajs' own log level (to the console, retried error responses left out below DEBUG). Default WARN. */
  logLevel?: LogLevel;
  /** Replicas of topics made by ensureTopic. Default -1: the broker's default.replication.factor. */
  replicationFactor?: number;
  consumer?: {
    /** Default 30 s (kafkajs' default); the broker's group.min.session.timeout.ms is 6 s. */
    sessionTimeout?: number;
    /** How often a consumer heartbeats, which is also how soon it notices a rebalance. Default 3 s. */
    heartbeatInterval?: number;
    /** A fetch waits at most this long for records. Default 500 ms (the Java client's fetch.max.wait.ms). */
    maxWaitTimeInMs?: number;
    /** Retries of a failing batch (with exponential backoff from `initialRetryTime`) before the consumer restarts. Default 8 and 100 ms. */
    retries?: number;
    initialRetryTime?: number;
    maxRetryTime?: number;
  };
  /** How long `subscribe` waits for the group join and the first fetch. Default 60 s. */
  subscribeTimeoutMs?: number;
  /** Told about every handler failure (the batch is retried) and every consumer crash. Default: console.error. */
  onError?: (error: unknown, where: { topic: string; groupId: string; partition?: number; offset?: string; crash?: boolean }) => void;
};

const decodeHeaders = (headers: IHeaders | undefined): BusHeaders => {
  const out: BusHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
};

/**
 * kafkajs' console logging, minus two kinds of ERROR lines that are not errors here: every
 * error response a connection receives ("[Connection] Response Heartbeat ... The group is
 * rebalancing", "... InitProducerId ... coordinator is loading") is logged at ERROR although
 * kafkajs retries it (a real failure surfaces as an exception anyway), and a handler failure
 * ("[Runner] Error when calling eachBatch") is reported through `onError`. Both are kept at DEBUG.
 */
const quietLogCreator =
  (configured: LogLevel): logCreator =>
  () =>
  ({ namespace, level, label, log }) => {
    const { message, timestamp, ...extra } = log;
    const expected =
      (namespace === 'Connection' && message.startsWith('Response ')) || (namespace === 'Runner' && message === 'Error when calling eachBatch');
    if (expected && configured < LogLevel.DEBUG) return;
    const line = JSON.stringify({ level: label, timestamp, logger: 'kafkajs', message: `[${namespace}] ${message}`, ...extra });
    if (level <= LogLevel.ERROR) console.error(line);
    else console.warn(line);
  };

export const createKafkaBus = ({
  brokers,
  clientId = 'chat-backend',
  logLevel = LogLevel.WARN,
  replicationFactor = -1,
  consumer: consumerOptions = {},
  subscribeTimeoutMs = 60_000,
  onError = (error, where) => console.error('kafka bus:', where, error),
}: KafkaBusOptions): Bus => {
  const kafka = new Kafka({ clientId, brokers, logLevel, logCreator: quietLogCreator(logLevel) });
  const subscriptions = new Set<BusSubscription>();
  let producer: Promise<Producer> | undefined;
  let admin: Promise<Admin> | undefined;
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new Error('bus is closed');
  };

  const connected = <T extends { connect(): Promise<void> }>(client: T): Promise<T> => client.connect().then(() => client);

  const theProducer = () => {
    producer ??= connected(
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
      }),
    ).catch((error) => {
      producer = undefined;
      throw error;
    });
    return producer;
  };

  const theAdmin = () => {
    admin ??= connected(kafka.admin()).catch((error) => {
      admin = undefined;
      throw error;
    });
    return admin;
  };

  const {
    sessionTimeout = 30_000,
    heartbeatInterval = 3_000,
    maxWaitTimeInMs = 500,
    retries = 8,
    initialRetryTime = 100,
    maxRetryTime = 5_000,
  } = consumerOptions;

  return {
    ensureTopic: async (topic, partitions) => {
      assertOpen();
      if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
      const client = await theAdmin();
      if ((await client.listTopics()).includes(topic)) return;
      // false when someone created it meanwhile: left as it is.
      await client.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }], waitForLeaders: true });
    },

    publish: async (topic, records) => {
      assertOpen();
      if (records.length === 0) return;
      const client = await theProducer();
      await client.send({
        topic,
        acks: -1,
        messages: records.map(({ key, value, headers }) => ({ key, value, ...(headers ? { headers } : {}) })),
      });
    },

    subscribe: async ({ topic, groupId, fromBeginning = false, onBatch }) => {
      assertOpen();
      let stopped = false;
      const consumer: Consumer = kafka.consumer({
        groupId,
        sessionTimeout,
        heartbeatInterval,
        maxWaitTimeInMs,
        allowAutoTopicCreation: true,
        retry: {
          retries,
          initialRetryTime,
          maxRetryTime,
          // Spent retries (or any retriable crash): start again, rejoining from the committed offsets.
          restartOnFailure: async () => !stopped,
        },
      });

      // Ready = joined the group and positioned: after the join, kafkajs resolves the
      // starting offsets (committed, or earliest/latest) at the start of its first fetch.
      let joined = false;
      let markReady!: () => void;
      let markFailed!: (error: unknown) => void;
      const ready = new Promise<void>((resolve, reject) => {
        markReady = resolve;
        markFailed = reject;
      });
      ready.catch(() => {}); // a crash after a timed-out subscribe must not become an unhandled rejection
      const removeListeners = [
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
          joined = true;
          const assigned = Object.values(payload.memberAssignment).flat();
          if (assigned.length === 0) markReady();
        }),
        consumer.on(consumer.events.FETCH, () => {
          if (joined) markReady();
        }),
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          onError(payload.error, { topic, groupId, crash: true });
          if (!payload.restart) markFailed(payload.error);
        }),
      ];

      const close = async () => {
        stopped = true;
        await consumer.disconnect().catch(() => {});
        for (const remove of removeListeners) remove();
        subscriptions.delete(subscription);
      };
      const subscription: BusSubscription = { close };
      subscriptions.add(subscription);

      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }) => {
            if (batch.messages.length === 0 || !isRunning() || isStale()) return;
            const records: ConsumedRecord[] = batch.messages.map((m) => ({
              topic: batch.topic,
              key: m.key?.toString('utf8') ?? '',
              value: m.value?.toString('utf8') ?? '',
              headers: decodeHeaders(m.headers),
              partition: batch.partition,
              offset: m.offset,
            }));
            try {
              await onBatch(records);
            } catch (error) {
              onError(error, { topic, groupId, partition: batch.partition, offset: batch.firstOffset() ?? undefined });
              throw error; // nothing resolved: kafkajs fetches the same records again
            }
            const last = batch.messages[batch.messages.length - 1]!.offset;
            resolveOffset(last);
            await commitOffsetsIfNecessary({
              topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }],
            });
            await heartbeat();
          },
        });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          ready,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`kafka bus: ${groupId} did not join ${topic} within ${subscribeTimeoutMs} ms`)), subscribeTimeoutMs);
          }),
        ]).finally(() => clearTimeout(timer));
      } catch (error) {
        await close();
        throw error;
      }
      return subscription;
    },

    close: async () => {
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      const [p, a] = [producer, admin];
      producer = admin = undefined;
      await Promise.all([
        p?.then((c) => c.disconnect()).catch(() => {}),
        a?.then((c) => c.disconnect()).catch(() => {}),
      ]);
    },
  };
};
