import type { ReadPosition } from '@eventstore/db-client';
import type { RecordedEvent, SubscribeToAllOptions, Subscription } from '../eventStore.ts';
import type { LogEntry } from './logPage.ts';
import type { SubscriptionStart } from './subscriptionStart.ts';
import { caughtUpSignal } from '../caughtUpSignal.ts';

/** What the loop needs of the client's subscription (a Readable in object mode). */
export type SubscriptionSource = {
  read(): unknown;
  on(event: 'readable' | 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  unsubscribe(): Promise<void>;
};

export type Backoff = { initialMs: number; maxMs: number };

export type ResubscribeDeps = {
  /**
   * Where the first server subscription starts, and the head at the time: caughtUp resolves
   * once everything up to it is delivered. Retried like a drop when it fails.
   */
  start(after: SubscribeToAllOptions['after']): Promise<{ start: SubscriptionStart; head: bigint }>;
  /** A server subscription to $all from `from` (the server does not deliver `from` itself). */
  open(from: ReadPosition): SubscriptionSource;
  /** Maps one item of the source; throwing ends the subscription (done rejects). */
  toEntry(item: unknown): LogEntry;
  /** A failure no new subscription can fix: the subscription ends with it instead of resubscribing. */
  isPermanent(error: unknown): boolean;
  backoff?: Backoff;
  /** Told of every drop before the resubscribe; `attempt` counts drops since the last progress. */
  onDropped?(error: unknown, attempt: number): void;
  /** Every batch after onEvents settled. */
  onDelivered?(events: readonly RecordedEvent[]): void;
  /** Once, when the subscription has ended, however it ended. */
  onEnded?(): void;
};

export const DEFAULT_MAX_BATCH_SIZE = 100;
export const DEFAULT_BACKOFF: Backoff = { initialMs: 100, maxMs: 5_000 };

/** Exponential backoff with jitter: between half and all of min(max, initial · 2^(attempt−1)). */
export const backoffDelay = (attempt: number, { initialMs, maxMs }: Backoff, random: () => number = Math.random): number => {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
};

/** Entries one read pass may take off the source, visible or not: long runs of hidden events don't hog the loop. */
const MAX_ENTRIES_PER_PASS = 1_000;

type Drop = { error: unknown };

/**
 * The port's subscribeToAll over EventStoreDB's catch-up subscription to $all, which the
 * client does not resubscribe by itself.
 *
 * - Catch-up then live is the server's one subscription; this loop takes what the source
 *   has buffered, up to maxBatchSize visible events, and awaits onEvents before reading on.
 *   Not reading is the backpressure: the Readable fills up to its highWaterMark, then gRPC
 *   flow control stops the server.
 * - Progress is the last entry read (visible or not) of a batch whose onEvents has settled:
 *   its position is where a new subscription starts, and everything at or before it is
 *   skipped, so a resubscribe (from a position the server may deliver again) never delivers
 *   an event twice, and events still buffered when the source dropped are read again.
 * - A drop (error or end of the source) resubscribes from the progress after a backoff,
 *   except a permanent failure, which ends the subscription like a throwing onEvents:
 *   done rejects with it.
 * - caughtUp resolves once the progress reaches the head read at the start, so it means
 *   "delivered up to the head", whatever the server version says about catching up.
 */
export const subscribeToAllWithResubscribe = (
  deps: ResubscribeDeps,
  { after, onEvents, maxBatchSize = DEFAULT_MAX_BATCH_SIZE }: SubscribeToAllOptions,
): Subscription => {
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
  }
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;

  let closed = false;
  let source: SubscriptionSource | undefined;
  /** Ends the current wait (for data, a backoff, the start): set while waiting. */
  let wake: (() => void) | undefined;
  let signalClosed!: () => void;
  const whenClosed = new Promise<void>((resolve) => (signalClosed = resolve));

  const caughtUpAt = caughtUpSignal();

  let from: ReadPosition | undefined;
  let progress = 0n;
  let head = 0n;
  let attempt = 0;

  const noteProgress = () => {
    if (!caughtUpAt.reached() && (head === 0n || progress >= head)) caughtUpAt.mark();
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  /** Reads one source until it drops (returns the drop) or the subscription closes (returns undefined). */
  const consume = async (subscribeFrom: ReadPosition): Promise<Drop | undefined> => {
    let current: SubscriptionSource;
    try {
      current = deps.open(subscribeFrom);
    } catch (error) {
      return { error };
    }
    source = current;
    let drop: Drop | undefined;
    let signaled = false;
    const signal = () => {
      signaled = true;
      // A source already given up (dropped, closed) may still emit: it must not cut a backoff short.
      if (source === current) wake?.();
    };
    const dropped = (error: unknown) => {
      drop ??= { error };
      signal();
    };
    // Listeners stay for the source's whole life: an 'error' nobody listens to would crash the process.
    current.on('readable', signal);
    current.on('error', dropped);
    current.on('end', () => dropped(new Error('the server ended the $all subscription')));
    current.on('close', () => dropped(new Error('the $all subscription closed')));
    try {
      while (!closed) {
        if (drop) return drop;
        signaled = false;
        const batch: RecordedEvent[] = [];
        let seen = progress;
        let lastRaw: ReadPosition | undefined;
        let exhausted = false;
        for (let taken = 0; batch.length < maxBatchSize && taken < MAX_ENTRIES_PER_PASS; taken++) {
          const item = current.read();
          if (item === null) {
            exhausted = true;
            break;
          }
          const entry = deps.toEntry(item);
          if (entry.position <= seen) continue;
          seen = entry.position;
          lastRaw = entry.raw;
          if (entry.visible) batch.push(entry.visible);
        }
        if (lastRaw === undefined) {
          if (drop) return drop;
          // Wait only when the source is empty; 'readable' comes again once read() has returned null.
          if (exhausted && !signaled) {
            await new Promise<void>((resolve) => {
              wake = () => {
                wake = undefined;
                resolve();
              };
            });
          }
          continue;
        }
        if (batch.length > 0) {
          await onEvents(batch);
          deps.onDelivered?.(batch);
        }
        progress = seen;
        from = lastRaw;
        attempt = 0;
        noteProgress();
        // A long catch-up must not hold the event loop: let I/O run between full batches.
        if (batch.length === maxBatchSize) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return undefined;
    } finally {
      source = undefined;
      current.unsubscribe().catch(() => {});
    }
  };

  const run = async (): Promise<void> => {
    // Never call the handler before subscribeToAll has returned.
    await Promise.resolve();
    while (!closed) {
      let drop: Drop | undefined;
      if (from === undefined) {
        try {
          const starting = deps.start(after);
          starting.catch(() => {}); // abandoned when closed first
          const started = await Promise.race([starting, whenClosed]);
          if (!started) break;
          from = started.start.from;
          progress = started.start.skipUpTo;
          head = started.head;
          noteProgress();
        } catch (error) {
          drop = { error };
        }
      }
      if (!drop && from !== undefined) drop = await consume(from);
      if (!drop || closed) break;
      if (deps.isPermanent(drop.error)) throw drop.error;
      attempt++;
      deps.onDropped?.(drop.error, attempt);
      await sleep(backoffDelay(attempt, backoff));
    }
  };

  const done = run().then(
    () => {
      if (!caughtUpAt.reached()) caughtUpAt.fail(new Error('subscription closed before catching up'));
      deps.onEnded?.();
    },
    (error: unknown) => {
      closed = true;
      if (!caughtUpAt.reached()) caughtUpAt.fail(error);
      deps.onEnded?.();
      // Left for the caller to observe on `done`: an unobserved handler failure is loud, not silent.
      throw error;
    },
  );

  return {
    caughtUp: caughtUpAt.promise,
    done,
    close: async () => {
      if (!closed) {
        closed = true;
        signalClosed();
        wake?.();
        source?.unsubscribe().catch(() => {});
      }
      // Waits for an in-flight handler call: once close() resolves, onEvents isn't running.
      // (So a handler may call close() but must not await it.)
      await done.catch(() => {});
    },
  };
};
