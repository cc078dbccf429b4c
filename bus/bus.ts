/**
 * The bus port: the event feed between processes. Topics are split into partitions; a
 * record's key picks its partition (same key → same partition → delivered in publish
 * order), so keying by chat id keeps each chat in order. Consumers in one group share a
 * topic's partitions; each group sees every record. Delivery is at least once: a group's
 * offset moves only after `onBatch` resolved, so a batch whose handler threw (or whose
 * consumer died mid-batch) is delivered again, and consumers must tolerate duplicates
 * (see `relay/dropDuplicates.ts`).
 *
 * Kafka in production (`kafka/kafkaBus.ts`), in process for the embedded profile
 * (`inMemory/inMemoryBus.ts`); both pass `contract/busContract.ts`.
 */
export type BusHeaders = Record<string, string>;

/** A record to publish. */
export type BusRecord = {
  key: string;
  value: string;
  headers?: BusHeaders;
};

/** A record as a consumer receives it. */
export type ConsumedRecord = {
  topic: string;
  key: string;
  value: string;
  headers: BusHeaders;
  partition: number;
  /** Offset inside its partition (a decimal string: Kafka offsets are 64-bit). */
  offset: string;
};

export type SubscribeOptions = {
  topic: string;
  groupId: string;
  /**
   * Where a group with no committed offset for a partition starts: true = the partition's
   * first record, false (default) = records published after the subscription started.
   * A group that has committed offsets always resumes after them.
   */
  fromBeginning?: boolean;
  /**
   * Records of ONE partition, in offset order. The next batch of that partition waits
   * until this one settles. Resolve = processed (the offset is committed before the next
   * batch); throw = not processed (the same records come again, after a backoff).
   */
  onBatch: (records: ConsumedRecord[]) => Promise<void>;
};

export type BusSubscription = {
  /** Leaves the group (its partitions go to the other members) after the batch in flight settles. */
  close(): Promise<void>;
};

export type Bus = {
  /** Creates the topic with `partitions` partitions unless it exists (an existing topic is left as it is). */
  ensureTopic(topic: string, partitions: number): Promise<void>;
  /**
   * Appends the records, each to its key's partition, in array order per key. Resolves
   * only once the broker acknowledged all of them (Kafka: acks=all, idempotent producer).
   */
  publish(topic: string, records: readonly BusRecord[]): Promise<void>;
  /** Resolves once the consumer has joined its group and is positioned: records published after that reach it (or its group). */
  subscribe(options: SubscribeOptions): Promise<BusSubscription>;
  /** Closes every subscription and the producer. */
  close(): Promise<void>;
};

/**
 * Kafka's default partitioner (Java client and kafkajs' DefaultPartitioner): murmur2 of
 * the UTF-8 key, made positive, modulo the partition count. The in-memory bus uses it
 * too, so a key lands on the same partition number in both profiles.
 */
export const partitionForKey = (key: string, partitions: number): number => (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;

const murmur2 = (data: Buffer): number => {
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = seed ^ length;
  const length4 = Math.floor(length / 4);
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length % 4;
  const tail = length & ~3;
  if (rest === 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
};
