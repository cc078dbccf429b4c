import { describe, expect, it } from 'vitest';
import { isChatError } from '../domain/errors.ts';
import { createInMemoryKvStore } from '../kv/inMemory/inMemoryKvStore.ts';
import type { KvStore } from '../kv/kvStore.ts';
import { kvSendRateLimiter } from './kvSendRateLimiter.ts';

const refusal = async (p: Promise<void> | void) => {
  try {
    await p;
    return null;
  } catch (e) {
    return e;
  }
};

describe('send rate limit shared through the KV store', () => {
  it('lets a burst through, then refuses with rate_limited and a retry-after, per user', async () => {
    let t = 1_000_000;
    const kv = createInMemoryKvStore(() => t);
    const limiter = kvSendRateLimiter(kv, { perSecond: 2, burst: 3 });
    for (let i = 0; i < 3; i++) expect(await refusal(limiter.take('ann'))).toBeNull();
    const e = await refusal(limiter.take('ann'));
    expect(isChatError(e) && e.code).toBe('rate_limited');
    expect(await refusal(limiter.take('bob'))).toBeNull(); // another user's bucket
    t += 500; // one token back at 2/s
    expect(await refusal(limiter.take('ann'))).toBeNull();
  });

  it('two limiters on one store (two nodes) share the bucket', async () => {
    const kv = createInMemoryKvStore();
    const a = kvSendRateLimiter(kv, { perSecond: 1, burst: 2 });
    const b = kvSendRateLimiter(kv, { perSecond: 1, burst: 2 });
    expect(await refusal(a.take('ann'))).toBeNull();
    expect(await refusal(b.take('ann'))).toBeNull();
    expect(await refusal(a.take('ann'))).not.toBeNull();
  });

  it('lets the send through when the store does not answer in time or fails (Redis restarting)', async () => {
    const errors: unknown[] = [];
    const silent = { ...createInMemoryKvStore(), takeToken: () => new Promise(() => {}) } as KvStore;
    const failing = { ...createInMemoryKvStore(), takeToken: () => Promise.reject(new Error('ECONNREFUSED')) } as KvStore;
    const options = { timeoutMs: 20, onError: (e: unknown) => errors.push(e) };
    expect(await refusal(kvSendRateLimiter(silent, { perSecond: 1, burst: 1 }, options).take('ann'))).toBeNull();
    expect(await refusal(kvSendRateLimiter(failing, { perSecond: 1, burst: 1 }, options).take('ann'))).toBeNull();
    expect(errors.map(String)).toEqual([expect.stringContaining('no answer within 20 ms'), expect.stringContaining('ECONNREFUSED')]);
  });
});
