import { rateLimited } from '../domain/errors.ts';

export type RateLimit = { perSecond: number; burst: number };

/**
 * Per-user token buckets for sends (REST and WebSocket together, protocol section 0).
 * Refilled lazily on use; full buckets are forgotten when the map grows, so idle users
 * cost nothing.
 */
export const createSendRateLimiter = ({ perSecond, burst }: RateLimit, now: () => number = () => performance.now()) => {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const level = (b: { tokens: number; at: number }, t: number) => Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);

  const forgetFull = (t: number) => {
    for (const [user, b] of buckets) if (level(b, t) >= burst) buckets.delete(user);
  };

  return {
    /** Takes one token or throws `rate_limited` with the seconds until one is available. */
    take(userId: string): void {
      const t = now();
      const b = buckets.get(userId) ?? { tokens: burst, at: t };
      const tokens = level(b, t);
      if (tokens < 1) throw rateLimited('too many messages, slow down', Math.max(1, Math.ceil((1 - tokens) / perSecond)));
      buckets.set(userId, { tokens: tokens - 1, at: t });
      if (buckets.size > 100_000) forgetFull(t);
    },
    /** Gives back a token taken by a send that turned out to be a repeat. */
    refund(userId: string): void {
      const b = buckets.get(userId);
      if (b) b.tokens = Math.min(burst, b.tokens + 1);
    },
  };
};
