import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChatClient } from '../../client/createChatClient.ts';
import type { AckData, ChatMessage } from '../../client/frames.ts';
import { clusterServersOf, describeWithClusterServers, type ClusterServerHandles } from '../../testing/cluster/describeWithClusterServers.ts';
import { connectUser } from '../../testing/cluster/connectUser.ts';
import { startCluster, type Cluster } from '../../testing/cluster/startCluster.ts';
import type { ChildServer } from '../../testing/childServer.ts';

/**
 * Acceptance: the production profile keeps its promises while a server it depends on
 * restarts. Redis (sessions, presence, delivery channels) and Kafka (the feed) can go
 * away without refusing a send; the read store going away answers `unavailable`; after
 * each comes back, everything acknowledged is projected and delivered exactly once.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
};

describeWithClusterServers((servers) => {
  let cluster: Cluster;
  let handles: ClusterServerHandles;
  const clients: ChatClient[] = [];
  let alice: { client: ChatClient; received: ChatMessage[] };
  let bob: { client: ChatClient; received: ChatMessage[] };
  let chatId: string;
  let sent = 0;

  const connect = async (userId: string, gateway: ChildServer) => {
    const user = await connectUser(userId, [gateway], { ownGapDelayMs: 200 });
    clients.push(user.client);
    return user;
  };

  /** alice → bob, `n` messages, each acknowledged. */
  const sendBurst = async (n: number, label: string): Promise<AckData[]> => {
    const acks = await Promise.all(Array.from({ length: n }, (_, i) => alice.client.send({ receiverId: 'bob', messageType: 'text', content: `${label}${i}` })));
    sent += n;
    chatId = acks[0]!.chat_id;
    return acks;
  };

  /** Every message sent so far: in bob's client once each in order, and in history (through gateway 1) seq 1..sent. */
  const expectAllDeliveredAndProjected = async () => {
    await until(`bob to hold all ${sent} messages`, () => bob.received.length >= sent);
    expect(bob.received.map((m) => m.seq)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    let history: { status: number; body: { messages: ChatMessage[] } } | undefined;
    await until('history to show every message', async () => {
      history = await cluster.gateways[1]!.call('bob', 'GET', `/v1/messages?chat_id=${encodeURIComponent(chatId)}&after=0&limit=200`);
      return history.status === 200 && history.body.messages.length >= sent;
    }).catch((e: Error) => {
      throw new Error(`${e.message}: last answer ${JSON.stringify(history)}`);
    });
    expect(history!.body.messages.map((m) => m.seq)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  };

  beforeAll(async () => {
    handles = servers();
    cluster = await startCluster(clusterServersOf(handles));
    alice = await connect('alice', cluster.gateways[0]!);
    bob = await connect('bob', cluster.gateways[1]!);
    await sendBurst(5, 'warm-up ');
    await expectAllDeliveredAndProjected();
  }, 180_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  }, 60_000);

  it('Redis restarted mid-run: sends still succeed, presence and delivery recover', async () => {
    await handles.redis.kill();
    const acks = await sendBurst(10, 'redis down ');
    expect(acks.map((a) => a.status)).toEqual(Array(10).fill('sent'));
    await handles.redis.restart();
    // The gateways re-register their users within a heartbeat: bob is online again for alice's node.
    await until('bob online again', async () => {
      const r = await cluster.gateways[0]!.call('alice', 'GET', '/v1/presence?user_ids=bob');
      return r.status === 200 && r.body.presence[0]?.status === 'online';
    });
    await sendBurst(3, 'redis back ');
    await expectAllDeliveredAndProjected();
  }, 120_000);

  it('Kafka broker restarted: relay and consumers resume from their checkpoints, nothing lost or doubled', async () => {
    await handles.kafka.kill();
    const acks = await sendBurst(10, 'kafka down ');
    expect(acks.map((a) => a.status)).toEqual(Array(10).fill('sent'));
    await handles.kafka.restart();
    await sendBurst(3, 'kafka back ');
    await expectAllDeliveredAndProjected();
  }, 180_000);

  it('read store unreachable: REST answers unavailable, sends succeed, projections resume without loss', async () => {
    await handles.mongo.kill();
    const acks = await sendBurst(5, 'mongo down ');
    expect(acks.map((a) => a.status)).toEqual(Array(5).fill('sent'));
    const r = await cluster.gateways[1]!.call('bob', 'GET', `/v1/messages?chat_id=${encodeURIComponent(chatId)}&after=0&limit=200`);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('unavailable');
    await handles.mongo.restart();
    await sendBurst(3, 'mongo back ');
    await expectAllDeliveredAndProjected();
  }, 180_000);
});
