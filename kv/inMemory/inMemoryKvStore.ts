import type { KvStore, TokenBucketResult } from '../kvStore.ts';

/** The embedded profile's KvStore: one process, so plain maps with lazy expiry. */
export const createInMemoryKvStore = (now: () => number = () => Date.now()): KvStore => {
  const values = new Map<string, { value: string; expiresAt: number }>();
  const sets = new Map<string, Map<string, number>>(); // member → expires at
  const buckets = new Map<string, { tokens: number; at: number }>();
  const channels = new Map<string, Set<(m: string) => void>>();

  const live = (key: string) => {
    const entry = values.get(key);
    if (entry && entry.expiresAt <= now()) values.delete(key);
    return values.get(key);
  };

  return {
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, { ttlMs } = {}) {
      values.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : now() + ttlMs });
    },
    async del(key) {
      values.delete(key);
      sets.delete(key);
      buckets.delete(key);
    },
    async incrBy(key, by) {
      const entry = live(key);
      const next = Number(entry?.value ?? 0) + by;
      values.set(key, { value: String(next), expiresAt: entry?.expiresAt ?? Infinity });
      return next;
    },
    async touchMember(key, member, ttlMs) {
      let set = sets.get(key);
      if (!set) sets.set(key, (set = new Map()));
      set.set(member, now() + ttlMs);
    },
    async removeMember(key, member) {
      sets.get(key)?.delete(member);
    },
    async liveMembers(key) {
      const set = sets.get(key);
      if (!set) return [];
      const t = now();
      for (const [member, expiresAt] of set) if (expiresAt <= t) set.delete(member);
      if (set.size === 0) sets.delete(key);
      return [...set.keys()];
    },
    async takeToken(key, perSecond, burst): Promise<TokenBucketResult> {
      const t = now();
      const b = buckets.get(key) ?? { tokens: burst, at: t };
      const tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
      if (tokens < 1) {
        buckets.set(key, { tokens, at: t });
        return { ok: false, retryAfterMs: Math.ceil(((1 - tokens) / perSecond) * 1000) };
      }
      buckets.set(key, { tokens: tokens - 1, at: t });
      return { ok: true };
    },
    async publish(channel, message) {
      for (const handler of channels.get(channel) ?? []) queueMicrotask(() => handler(message));
    },
    async subscribe(channel, onMessage) {
      let handlers = channels.get(channel);
      if (!handlers) channels.set(channel, (handlers = new Set()));
      handlers.add(onMessage);
      return async () => {
        handlers.delete(onMessage);
      };
    },
    async close() {
      channels.clear();
    },
  };
};
