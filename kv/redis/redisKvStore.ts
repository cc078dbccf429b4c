import { Redis } from 'ioredis';
import type { KvStore, TokenBucketResult } from '../kvStore.ts';

/** Atomic token bucket: state in a hash {tokens, at}, refilled lazily, with the server's clock. */
const TAKE_TOKEN = `
local key, rate, burst = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('HSET', key, 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
if ok == 1 then return -1 end
return math.ceil((1 - tokens) / rate * 1000)
`;

/** Expiring members: a sorted set scored by expiry time (ms, the server's clock). */
const TOUCH_MEMBER = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(newest[2])))
`;
const LIVE_MEMBERS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

/**
 * The production KvStore on Redis (ioredis). Expiry and rate limits use Redis' clock,
 * so nodes with skewed clocks agree. Pub/sub needs its own connection (a subscribed
 * connection can issue nothing else), opened on first subscribe.
 */
/** The scripts as commands: sent by SHA (EVALSHA), loaded once per connection, not parsed on every call. */
type Scripted = Redis & {
  takeToken(key: string, perSecond: string, burst: string): Promise<number>;
  touchMember(key: string, member: string, ttlMs: string): Promise<unknown>;
  liveMembers(key: string): Promise<string[]>;
};

export const createRedisKvStore = (url: string): KvStore => {
  // No auto-pipelining: measured on a 500-member fan-out's lookups it cost more client CPU (3.9 against 2.6 ms).
  const redis = new Redis(url, { maxRetriesPerRequest: 3 }) as Scripted;
  redis.defineCommand('takeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
  redis.defineCommand('touchMember', { numberOfKeys: 1, lua: TOUCH_MEMBER });
  redis.defineCommand('liveMembers', { numberOfKeys: 1, lua: LIVE_MEMBERS });
  let subscriber: Redis | undefined;
  const handlers = new Map<string, Set<(m: string) => void>>();

  const subscriberConnection = () => {
    if (!subscriber) {
      subscriber = redis.duplicate();
      subscriber.on('message', (channel: string, message: string) => {
        for (const h of handlers.get(channel) ?? []) h(message);
      });
    }
    return subscriber;
  };

  return {
    get: (key) => redis.get(key),
    async set(key, value, { ttlMs } = {}) {
      if (ttlMs === undefined) await redis.set(key, value);
      else await redis.set(key, value, 'PX', ttlMs);
    },
    async del(key) {
      await redis.del(key);
    },
    incrBy: (key, by) => redis.incrby(key, by),
    async touchMember(key, member, ttlMs) {
      await redis.touchMember(key, member, String(ttlMs));
    },
    async removeMember(key, member) {
      await redis.zrem(key, member);
    },
    liveMembers: (key) => redis.liveMembers(key),
    async takeToken(key, perSecond, burst): Promise<TokenBucketResult> {
      const wait = Number(await redis.takeToken(key, String(perSecond), String(burst)));
      return wait < 0 ? { ok: true } : { ok: false, retryAfterMs: wait };
    },
    async publish(channel, message) {
      await redis.publish(channel, message);
    },
    async subscribe(channel, onMessage) {
      let set = handlers.get(channel);
      if (!set) {
        handlers.set(channel, (set = new Set()));
        await subscriberConnection().subscribe(channel);
      }
      set.add(onMessage);
      return async () => {
        set.delete(onMessage);
        if (set.size === 0) {
          handlers.delete(channel);
          await subscriber?.unsubscribe(channel);
        }
      };
    },
    async close() {
      await Promise.all([redis.quit().catch(() => redis.disconnect()), subscriber?.quit().catch(() => subscriber?.disconnect())]);
    },
  };
};
