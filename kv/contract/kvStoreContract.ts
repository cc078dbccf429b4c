import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvStore } from '../kvStore.ts';

export type KvFixture = {
  store: KvStore;
  /** A second client on the same backend (another node); the in-process store returns itself. */
  another(): Promise<KvStore>;
  cleanup(): Promise<void>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const eventually = async (check: () => Promise<boolean>, timeoutMs = 2_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
};

/** The one suite every KvStore adapter passes. Keys are unique per test, so a shared server is fine. */
export const kvStoreContract = (name: string, setup: () => Promise<KvFixture>) =>
  describe(`KvStore contract: ${name}`, () => {
    let fx: KvFixture;
    const key = (what: string) => `test:${randomUUID()}:${what}`;
    beforeAll(async () => {
      fx = await setup();
    });
    afterAll(async () => fx?.cleanup());

    it('sets, gets and deletes values', async () => {
      const k = key('v');
      expect(await fx.store.get(k)).toBeNull();
      await fx.store.set(k, 'héllo ✓');
      expect(await fx.store.get(k)).toBe('héllo ✓');
      await fx.store.del(k);
      expect(await fx.store.get(k)).toBeNull();
    });

    it('expires a value after its ttl', async () => {
      const k = key('ttl');
      await fx.store.set(k, 'x', { ttlMs: 100 });
      expect(await fx.store.get(k)).toBe('x');
      expect(await eventually(async () => (await fx.store.get(k)) === null)).toBe(true);
    });

    it('counts with incrBy, from zero', async () => {
      const k = key('n');
      expect(await fx.store.incrBy(k, 1)).toBe(1);
      expect(await fx.store.incrBy(k, 41)).toBe(42);
      expect(await Promise.all(Array.from({ length: 20 }, () => fx.store.incrBy(k, 1)))).toHaveLength(20);
      expect(await fx.store.incrBy(k, 0)).toBe(62);
    });

    it('keeps touched members alive until their ttl lapses', async () => {
      const k = key('members');
      await fx.store.touchMember(k, 'a', 5_000);
      await fx.store.touchMember(k, 'b', 100);
      expect((await fx.store.liveMembers(k)).sort()).toEqual(['a', 'b']);
      expect(await eventually(async () => (await fx.store.liveMembers(k)).join() === 'a')).toBe(true);
      await fx.store.removeMember(k, 'a');
      expect(await fx.store.liveMembers(k)).toEqual([]);
    });

    it('a heartbeat (touch again) keeps a member alive', async () => {
      const k = key('heartbeat');
      for (let i = 0; i < 4; i++) {
        await fx.store.touchMember(k, 'node-1', 150);
        await sleep(60);
      }
      expect(await fx.store.liveMembers(k)).toEqual(['node-1']);
    });

    it('takes tokens up to the burst, atomically, then refuses with a retry delay, then refills', async () => {
      const k = key('bucket');
      const results = await Promise.all(Array.from({ length: 15 }, () => fx.store.takeToken(k, 20, 10)));
      expect(results.filter((r) => r.ok)).toHaveLength(10);
      const refused = results.find((r) => !r.ok);
      expect(refused).toMatchObject({ ok: false });
      if (refused && !refused.ok) {
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(60);
      }
      await sleep(120);
      expect((await fx.store.takeToken(k, 20, 10)).ok).toBe(true);
    });

    it('delivers published messages to subscribers, including another node’s, until unsubscribed', async () => {
      const channel = key('channel');
      const other = await fx.another();
      const mine: string[] = [];
      const theirs: string[] = [];
      const unsubscribe = await fx.store.subscribe(channel, (m) => mine.push(m));
      await other.subscribe(channel, (m) => theirs.push(m));
      await fx.store.publish(channel, 'one');
      await other.publish(channel, 'two');
      expect(await eventually(async () => mine.length === 2 && theirs.length === 2)).toBe(true);
      expect(mine).toEqual(['one', 'two']);
      expect(theirs).toEqual(['one', 'two']);
      await unsubscribe();
      await fx.store.publish(channel, 'three');
      expect(await eventually(async () => theirs.length === 3)).toBe(true);
      await sleep(50);
      expect(mine).toEqual(['one', 'two']);
    });
  });
