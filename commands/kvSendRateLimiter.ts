import { isChatError, rateLimited } from '../domain/errors.ts';
import type { KvStore } from '../kv/kvStore.ts';
import type { SendLimiter } from './commandContext.ts';
import type { RateLimit } from './sendRateLimiter.ts';

/**
 * The send limit shared by every node: one token bucket per user in the KV store
 * (Redis in production), so a user cannot multiply the limit by connecting to several
 * gateways. When the store does not answer within `timeoutMs` (Redis restarting), the
 * send goes through: a limit is protection, not a reason to refuse durable writes.
 */
export const kvSendRateLimiter = (
  kv: KvStore,
  { perSecond, burst }: RateLimit,
  { timeoutMs = 250, onError = (e: unknown) => console.warn('send rate limit not checked:', String(e)) } = {},
): SendLimiter => ({
  async take(userId) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    try {
      const result = await Promise.race([kv.takeToken(`rate:send:${userId}`, perSecond, burst), timedOut]);
      if (result === 'timeout') return onError(new Error(`no answer within ${timeoutMs} ms`));
      if (!result.ok) throw rateLimited('too many messages, slow down', Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
    } catch (e) {
      if (isChatError(e)) throw e;
      onError(e);
    } finally {
      clearTimeout(timer);
    }
  },
});
