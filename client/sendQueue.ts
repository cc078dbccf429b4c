import type { AckData, SendData } from './frames.ts';

/**
 * Every send the server has not acknowledged yet, in the order the app made them.
 *
 * Pipelined: entries go out as soon as there is a connection, without waiting for
 * earlier acks. After a reconnect everything unacknowledged goes out again, in the
 * original order and with the same `client_msg_id`; the server dedups by
 * (sender, client_msg_id) and answers a repeat with the original ack, so a re-send
 * of something that was in fact stored is harmless.
 *
 * Pure bookkeeping: the client does the socket writes and the timers.
 */

export type SendState =
  /** Not on the current connection yet. */
  | 'unsent'
  /** Written to the current connection; waiting for its ack or error. */
  | 'inflight'
  /** Refused with a retryable error (rate_limited, unavailable); waiting out a backoff. */
  | 'waiting';

export type QueuedSend = {
  readonly ref: string;
  readonly data: SendData;
  state: SendState;
  /** Retryable refusals so far: drives the retry backoff. */
  retries: number;
  /** When it was last written (the `now` given to takeSendable). */
  sentAt: number;
};

export type SendQueue = {
  enqueue(data: SendData): { entry: QueuedSend; done: Promise<AckData> };
  /**
   * Marks and returns what to write now, in order: every `unsent` entry up to the
   * first `waiting` one. Stopping there keeps a refused send ahead of later ones
   * that were not written yet, and stops piling sends on a server that said
   * "slow down". At most `maxInFlight` are in flight at once (a window, still
   * pipelined): a burst of thousands would only trip the server's rate limits.
   */
  takeSendable(maxInFlight?: number, now?: number): QueuedSend[];
  /**
   * In-flight sends written before `writtenBefore` and still unanswered go back to
   * `unsent`: an answer that never comes (a lost frame, a refusal without a ref) must
   * not hold a send forever. Returns how many.
   */
  expire(writtenBefore: number): number;
  /** The ack for `ref` arrived: resolves and removes it. */
  settle(ref: string, ack: AckData): QueuedSend | undefined;
  /** A final refusal: rejects and removes it. */
  fail(ref: string, error: unknown): QueuedSend | undefined;
  /** A retryable refusal: the entry waits until `release`. */
  hold(ref: string): QueuedSend | undefined;
  /** Its backoff is over: back to `unsent`. */
  release(ref: string): void;
  /**
   * A refusal the server did not tie to a ref: any in-flight send may be the one.
   * Holds them all (without counting a retry); those that are answered meanwhile
   * settle as usual, the rest go out again on `release`. Re-sending one that was in
   * fact accepted is harmless: dedup answers it with the original ack.
   */
  holdInflight(): QueuedSend[];
  /** The connection is gone: everything goes out again on the next one. */
  disconnected(): void;
  rejectAll(error: unknown): void;
  get(ref: string): QueuedSend | undefined;
  hasClientMsgId(clientMsgId: string): boolean;
  entries(): readonly QueuedSend[];
  readonly size: number;
};

type Entry = QueuedSend & { resolve(ack: AckData): void; reject(error: unknown): void };

export const createSendQueue = (newRef: () => string): SendQueue => {
  // Insertion order of a Map is the send order.
  const byRef = new Map<string, Entry>();
  const byClientMsgId = new Map<string, Entry>();

  const remove = (ref: string) => {
    const entry = byRef.get(ref);
    if (!entry) return undefined;
    byRef.delete(ref);
    byClientMsgId.delete(entry.data.client_msg_id);
    return entry;
  };

  return {
    enqueue(data) {
      let resolve!: (ack: AckData) => void;
      let reject!: (error: unknown) => void;
      const done = new Promise<AckData>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const entry: Entry = { ref: newRef(), data, state: 'unsent', retries: 0, sentAt: 0, resolve, reject };
      byRef.set(entry.ref, entry);
      byClientMsgId.set(data.client_msg_id, entry);
      return { entry, done };
    },
    takeSendable(maxInFlight = Infinity, now = 0) {
      const out: QueuedSend[] = [];
      let inflight = 0;
      for (const entry of byRef.values()) if (entry.state === 'inflight') inflight++;
      for (const entry of byRef.values()) {
        if (entry.state === 'waiting' || inflight >= maxInFlight) break;
        if (entry.state === 'unsent') {
          inflight++;
          entry.state = 'inflight';
          entry.sentAt = now;
          out.push(entry);
        }
      }
      return out;
    },
    settle(ref, ack) {
      const entry = remove(ref);
      entry?.resolve(ack);
      return entry;
    },
    fail(ref, error) {
      const entry = remove(ref);
      entry?.reject(error);
      return entry;
    },
    hold(ref) {
      const entry = byRef.get(ref);
      if (!entry) return undefined;
      entry.state = 'waiting';
      entry.retries++;
      return entry;
    },
    expire(writtenBefore) {
      let n = 0;
      for (const entry of byRef.values())
        if (entry.state === 'inflight' && entry.sentAt < writtenBefore) {
          entry.state = 'unsent';
          n++;
        }
      return n;
    },
    holdInflight() {
      const held: QueuedSend[] = [];
      for (const entry of byRef.values())
        if (entry.state === 'inflight') {
          entry.state = 'waiting';
          held.push(entry);
        }
      return held;
    },
    release(ref) {
      const entry = byRef.get(ref);
      if (entry?.state === 'waiting') entry.state = 'unsent';
    },
    disconnected() {
      // Waiting entries too: the reconnect's own backoff already spaced them out.
      for (const entry of byRef.values()) entry.state = 'unsent';
    },
    rejectAll(error) {
      const all = [...byRef.values()];
      byRef.clear();
      byClientMsgId.clear();
      for (const entry of all) entry.reject(error);
    },
    get: (ref) => byRef.get(ref),
    hasClientMsgId: (id) => byClientMsgId.has(id),
    entries: () => [...byRef.values()],
    get size() {
      return byRef.size;
    },
  };
};
