import { describe, expect, it } from 'vitest';
import { createInMemoryKvStore } from '../../kv/inMemory/inMemoryKvStore.ts';
import { kvPresence } from './kvPresence.ts';
import type { PresenceView } from './presenceRegistry.ts';

const settle = () => new Promise((r) => setTimeout(r, 5));

/** Gateway nodes sharing one KV store (the in-process adapter: same contract as Redis). */
const nodes = (now: () => number) => {
  const kv = createInMemoryKvStore(now);
  const heard: Record<string, PresenceView[]> = {};
  const make = (nodeId: string) => kvPresence({ kv, nodeId, ttlMs: 3_000, graceMs: 10, now: () => new Date(now()) })((v) => (heard[nodeId] ??= []).push(v));
  return { kv, heard, make };
};
const twoNodes = (now: () => number) => {
  const { kv, heard, make } = nodes(now);
  return { kv, heard: heard as { a: PresenceView[]; b: PresenceView[] }, a: make('a'), b: make('b') };
};

describe('presence shared across nodes through the KV store', () => {
  it('a user connected on one node is online for the other; both nodes hear the flips, once', async () => {
    const t = 1_000_000;
    const { a, b, heard } = twoNodes(() => t);
    await settle();
    a.opened('ann');
    await settle();
    expect((await b.view('ann')).status).toBe('online');
    a.opened('ann'); // a second session: no flip
    b.opened('ann'); // a session on another node: no flip either
    await settle();
    expect(heard.a.map((v) => v.status)).toEqual(['online']);
    expect(heard.b.map((v) => v.status)).toEqual(['online']);

    b.closed('ann');
    a.closed('ann');
    a.closed('ann');
    await new Promise((r) => setTimeout(r, 40)); // grace
    expect((await b.view('ann')).status).toBe('offline');
    expect(heard.b.map((v) => v.status)).toEqual(['online', 'offline']);
    expect((await b.view('ann')).last_seen).not.toBeNull();
  });

  it("a crashed node's users go offline when their TTL lapses; heartbeats keep live ones online", async () => {
    let t = 1_000_000;
    const { a, b } = twoNodes(() => t);
    a.opened('ann');
    b.opened('bob');
    await settle();
    // Node a dies (no heartbeat, no close); node b keeps beating.
    for (let i = 0; i < 4; i++) {
      t += 1_000;
      b.heartbeat!(new Set(['bob']));
      await settle();
    }
    expect((await b.view('ann')).status).toBe('offline');
    expect((await a.view('bob')).status).toBe('online');
  });

  it("a crashed node's users are announced offline once, by one of the nodes left, unless online elsewhere", async () => {
    let t = 1_000_000;
    const { heard, make } = nodes(() => t);
    const [a, b, c] = [make('a'), make('b'), make('c')];
    await settle();
    a.opened('ann');
    a.opened('dan');
    b.opened('bob');
    await settle();
    c.opened('dan'); // dan is on c as well
    await settle();
    // Node a dies (no heartbeat, no close); b and c keep beating and both look for lapsed nodes.
    for (let i = 0; i < 5; i++) {
      t += 1_000;
      b.heartbeat!(new Set(['bob']));
      c.heartbeat!(new Set(['dan']));
      await settle();
    }
    const offline = (who: string) => heard[who]!.filter((v) => v.status === 'offline').map((v) => v.user_id);
    expect(offline('b')).toEqual(['ann']);
    expect(offline('c')).toEqual(['ann']);
    const announced = heard.b!.find((v) => v.status === 'offline')!;
    expect(await b.view('ann')).toEqual(announced); // last_seen stored as announced
    expect((await c.view('dan')).status).toBe('online');
  });

  it('a node that stops gracefully leaves nothing for the others to announce', async () => {
    let t = 1_000_000;
    const { heard, make } = nodes(() => t);
    const [a, b] = [make('a'), make('b')];
    a.opened('ann');
    await settle();
    await a.stop();
    for (let i = 0; i < 5; i++) {
      t += 1_000;
      b.heartbeat!(new Set());
      await settle();
    }
    expect(heard.b!.map((v) => `${v.user_id} ${v.status}`)).toEqual(['ann online', 'ann offline']);
  });

  it('a KV store that lost its data (Redis restarted empty) is refilled by the next heartbeat', async () => {
    const t = 1_000_000;
    const { a, b, kv } = twoNodes(() => t);
    a.opened('ann');
    await settle();
    await kv.removeMember('user-nodes:ann', 'a'); // as if Redis came back empty
    expect((await b.view('ann')).status).toBe('offline');
    a.heartbeat!(new Set(['ann']));
    await settle();
    expect((await b.view('ann')).status).toBe('online');
  });
});
