/**
 * The key-value + pub/sub port: what nodes share that is not an event. Counters,
 * expiring membership (presence, session registry), token buckets (rate limits) and
 * channels (delivery and typing relays). In process for the embedded profile, Redis in
 * production; both pass `contract/kvStoreContract.ts`.
 */
export type TokenBucketResult = { ok: true } | { ok: false; retryAfterMs: number };

export type KvStore = {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>;
  del(key: string): Promise<void>;
  incrBy(key: string, by: number): Promise<number>;

  /** Marks `member` of the set `key` alive for `ttlMs` more (a heartbeat); the set lives as long as its newest member. */
  touchMember(key: string, member: string, ttlMs: number): Promise<void>;
  removeMember(key: string, member: string): Promise<void>;
  /** Members whose last touch has not expired. */
  liveMembers(key: string): Promise<string[]>;

  /** Takes one token from the bucket at `key` (refilled at `perSecond`, holding at most `burst`), atomically across nodes. */
  takeToken(key: string, perSecond: number, burst: number): Promise<TokenBucketResult>;

  publish(channel: string, message: string): Promise<void>;
  /** Resolves once subscribed: messages published after that reach `onMessage`. Returns an unsubscribe. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;

  close(): Promise<void>;
};
