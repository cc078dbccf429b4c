import { randomUUID } from 'node:crypto';
import type { EventData, EventStore, RecordedEvent, SubscribeToAllOptions, Subscription } from '../eventStore.ts';

/** Unique per call, so the contract can run against a shared, non-empty store. */
export const uniqueStream = (prefix: string): string => `${prefix}-${randomUUID()}`;

export const anEvent = (data: Record<string, unknown> = {}, id: string = randomUUID()): EventData => ({
  id,
  type: 'ContractTested',
  data,
  metadata: { source: 'contract' },
});

export const someEvents = (count: number): EventData[] => Array.from({ length: count }, (_, i) => anEvent({ i }));

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export const waitUntil = async (condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
};

/** Rejection reason of a promise that must reject. */
export const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, it resolved');
};

export type Collected = {
  subscription: Subscription;
  /** Events of the streams of interest, in delivery order. */
  received: RecordedEvent[];
  /** Positions of every delivered event, any stream: must be strictly increasing. */
  positions: bigint[];
  calls: number;
  largestBatch: number;
  /** Most onEvents calls running at once: backpressure means 1. */
  maxConcurrentCalls: number;
};

/** Subscribes and records what is delivered for `streams` (others may be writing to a shared store). */
export const collect = (
  store: EventStore,
  streams: ReadonlySet<string>,
  options: Omit<SubscribeToAllOptions, 'onEvents'> & {
    /** Runs inside onEvents, before the batch is recorded. */
    onBatch?: (events: RecordedEvent[], callNumber: number) => void | Promise<void>;
  },
): Collected => {
  const { onBatch, ...subscribeOptions } = options;
  let running = 0;
  const collected: Omit<Collected, 'subscription'> = {
    received: [],
    positions: [],
    calls: 0,
    largestBatch: 0,
    maxConcurrentCalls: 0,
  };
  const subscription = store.subscribeToAll({
    ...subscribeOptions,
    onEvents: async (delivered) => {
      running++;
      collected.maxConcurrentCalls = Math.max(collected.maxConcurrentCalls, running);
      collected.calls++;
      collected.largestBatch = Math.max(collected.largestBatch, delivered.length);
      try {
        await onBatch?.(delivered, collected.calls);
        for (const event of delivered) {
          collected.positions.push(event.position);
          if (streams.has(event.streamName)) collected.received.push(event);
        }
      } finally {
        running--;
      }
    },
  });
  return Object.assign(collected, { subscription });
};

export const isStrictlyIncreasing = (values: readonly bigint[]): boolean =>
  values.every((value, i) => i === 0 || value > values[i - 1]!);

/** The log after `after`, restricted to `streams`: what a subscription over them must deliver. */
export const logOf = async (store: EventStore, after: bigint, streams: ReadonlySet<string>) =>
  (await store.readAll({ after })).filter((event) => streams.has(event.streamName));

export const idsOf = (recorded: readonly { id: string }[]) => recorded.map((event) => event.id);
