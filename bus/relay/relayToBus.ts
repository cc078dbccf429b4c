/**
 * The relay: follows the event store's global log from a stored checkpoint and publishes
 * every chat event to `chat.events`, keyed by chat id (so a chat's events stay in log
 * order on one partition). The checkpoint is saved only after the broker acknowledged
 * the batch: a relay killed between the two republishes that batch when it restarts, and
 * consumers drop the repeats with `dropDuplicates`. Events of streams that are not a
 * chat's (`chat-<id>`, `receipts-<id>`) are skipped, but the checkpoint passes them.
 *
 * One relay per event store at a time (a later step may elect it through the KV port).
 */
import type { EventStore, Subscription } from '../../event-store/eventStore.ts';
import type { Bus, BusRecord } from '../bus.ts';
import { CHAT_EVENTS_TOPIC, toRelayedRecord } from './relayedEvent.ts';

export type RelayCheckpoint = {
  /** The last global position known to be published; 0n when nothing was. */
  load(): Promise<bigint>;
  save(position: bigint): Promise<void>;
};

export type RelayOptions = {
  store: EventStore;
  bus: Bus;
  checkpoint: RelayCheckpoint;
  topic?: string;
  /** Events read (and published) per batch. Default 500. */
  maxBatchSize?: number;
};

export type Relay = {
  /** Resolves the first time everything up to the log's head has been published. */
  caughtUp: Promise<void>;
  /** Settles when the relay stops: resolves on close(), rejects when a publish or a checkpoint save failed (restart it). */
  done: Promise<void>;
  /** Stops after the batch in flight (published and checkpointed, or failed). */
  close(): Promise<void>;
};

/** A checkpoint in memory, for tests and the embedded profile's single process. */
export const inMemoryCheckpoint = (initial = 0n): RelayCheckpoint & { position(): bigint } => {
  let position = initial;
  return {
    load: async () => position,
    save: async (p) => {
      position = p;
    },
    position: () => position,
  };
};

export const startRelay = async ({ store, bus, checkpoint, topic = CHAT_EVENTS_TOPIC, maxBatchSize = 500 }: RelayOptions): Promise<Relay> => {
  const from = await checkpoint.load();
  const subscription: Subscription = store.subscribeToAll({
    after: from === 0n ? 'start' : from,
    maxBatchSize,
    onEvents: async (events) => {
      const records = events.map(toRelayedRecord).filter((r): r is BusRecord => r !== null);
      if (records.length > 0) await bus.publish(topic, records); // resolves after the broker's ack (acks=all)
      await checkpoint.save(events[events.length - 1]!.position);
    },
  });
  return { caughtUp: subscription.caughtUp, done: subscription.done, close: () => subscription.close() };
};
