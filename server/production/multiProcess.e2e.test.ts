import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChatClient } from '../../client/createChatClient.ts';
import type { ChatMessage } from '../../client/frames.ts';
import { clusterServersOf, describeWithClusterServers } from '../../testing/cluster/describeWithClusterServers.ts';
import { connectUser } from '../../testing/cluster/connectUser.ts';
import { startCluster, type Cluster } from '../../testing/cluster/startCluster.ts';
import type { ChildServer } from '../../testing/childServer.ts';

/**
 * Acceptance: the production profile as five processes (two gateways, projector, relay,
 * router) on real Redis, Kafka and a MongoDB-wire server, sharing one event store.
 * A user on each gateway; messages both ways, in order; presence across nodes; one
 * gateway SIGKILLed mid-burst: its client fails over through the SDK, re-sends, syncs,
 * and nothing acknowledged is lost or doubled.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (what: string, check: () => boolean, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};

describeWithClusterServers((servers) => {
  let cluster: Cluster;
  const clients: ChatClient[] = [];
  beforeAll(async () => {
    cluster = await startCluster(clusterServersOf(servers()));
  }, 180_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  }, 60_000);

  const connect = async (userId: string, gateways: ChildServer[]) => {
    const user = await connectUser(userId, gateways, { sendTimeoutMs: 3_000 });
    clients.push(user.client);
    return user;
  };

  const expectInOrderOnce = (messages: ChatMessage[]) => {
    const seqs = messages.map((m) => m.seq);
    expect(new Set(messages.map((m) => m.message_id)).size).toBe(messages.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  };

  it('two gateways, projector, relay and router: messages both ways in order, presence across nodes, a gateway killed loses nothing', async () => {
    const [gwA, gwB] = cluster.gateways as [ChildServer, ChildServer];
    const alice = await connect('alice', [gwA, gwB]);
    const bob = await connect('bob', [gwB, gwA]);

    // Across nodes: alice on A, bob on B.
    const first = await alice.client.send({ receiverId: 'bob', messageType: 'text', content: 'hello from A' });
    await until('bob to get the first message', () => bob.received.length === 1);
    expect(bob.received[0]).toMatchObject({ message_id: first.message_id, seq: 1, sender_id: 'alice', content: 'hello from A' });

    // Both ways at once, 30 each.
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => alice.client.send({ receiverId: 'bob', messageType: 'text', content: `a${i}` })),
      ...Array.from({ length: 30 }, (_, i) => bob.client.send({ receiverId: 'alice', messageType: 'text', content: `b${i}` })),
    ]);
    await until('both sides to receive the burst', () => bob.received.length === 31 && alice.received.length === 30);
    expectInOrderOnce(bob.received);
    expectInOrderOnce(alice.received);
    expect(bob.received.map((m) => m.content)).toEqual(['hello from A', ...Array.from({ length: 30 }, (_, i) => `a${i}`)]);
    expect(alice.received.map((m) => m.content)).toEqual(Array.from({ length: 30 }, (_, i) => `b${i}`));

    // Presence crosses nodes: alice (A) watches bob (B) leave and come back.
    alice.client.subscribePresence(['bob']);
    await until('bob online for alice', () => alice.presence.some((p) => p.user_id === 'bob' && p.status === 'online'));
    bob.client.close();
    await until('bob offline for alice', () => alice.presence.at(-1)?.status === 'offline', 10_000);
    const bobAgain = await connect('bob', [gwB, gwA]);
    bobAgain.client.setLastSeq(first.chat_id, 61);
    await until('bob online again for alice', () => alice.presence.at(-1)?.status === 'online', 10_000);

    // Carol is served by gateway A alone: when A dies, gateway B announces her offline (her TTL lapses).
    const carol = await connect('carol', [gwA]);
    await carol.client.send({ receiverId: 'bob', messageType: 'text', content: 'hi bob' });
    // presence_subscribe answers for contacts the read models know: wait until carol is one of bob's.
    for (let known = false; !known; await sleep(50)) {
      const answer: { body: { presence?: { user_id: string }[] } } = await gwB.call('bob', 'GET', '/v1/presence?user_ids=carol');
      known = answer.body.presence?.some((p) => p.user_id === 'carol') ?? false;
    }
    bobAgain.client.subscribePresence(['carol']);
    await until('carol online for bob', () => bobAgain.presence.some((p) => p.user_id === 'carol' && p.status === 'online'));

    // SIGKILL gateway A in the middle of alice's burst of 40.
    const burst = Array.from({ length: 40 }, (_, i) => alice.client.send({ receiverId: 'bob', messageType: 'text', content: `k${i}` }));
    let acked = 0;
    for (const p of burst) void p.then(() => acked++, () => {});
    await until('a few acks before the kill', () => acked >= 5);
    await gwA.kill('SIGKILL');
    const acks = await Promise.all(burst);
    expect(new Set(acks.map((a) => a.seq)).size).toBe(40);

    const fromAlice = () => bobAgain.received.filter((m) => m.chat_id === first.chat_id);
    await until('bob to receive the whole burst', () => fromAlice().length === 40, 30_000);
    expectInOrderOnce(fromAlice());
    expect(fromAlice().map((m) => m.content)).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`));
    // Alice failed over to B and stays online; carol, on A alone, lapses (TTL 3 s with 1 s pings).
    await until('carol offline for bob', () => bobAgain.presence.some((p) => p.user_id === 'carol' && p.status === 'offline'), 20_000);
    expect(bobAgain.presence.filter((p) => p.user_id === 'carol').map((p) => p.status)).toEqual(['online', 'offline']);

    // The store of record, read through the surviving gateway: 101 messages, seq 1..101, each once.
    const history: { status: number; body: { messages: ChatMessage[] } } = await gwB.call('alice', 'GET', `/v1/messages?chat_id=${encodeURIComponent(first.chat_id)}&after=0&limit=200`);
    expect(history.status).toBe(200);
    expect(history.body.messages.map((m) => m.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(new Set(history.body.messages.map((m) => m.client_msg_id)).size).toBe(101);
    expect(history.body.messages.filter((m) => m.content.startsWith('k')).map((m) => m.content)).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`));
  }, 180_000);
});
