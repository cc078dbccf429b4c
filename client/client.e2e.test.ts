import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startChildServer, type ChildServer } from '../testing/childServer.ts';
import { scratchDir } from '../testing/tempEventStore.ts';
import { startTestServer, type TestServer } from '../testing/testServer.ts';
import { createChatClient, type ChatClient, type ChatClientOptions } from './createChatClient.ts';
import type { AckData, ChatMessage } from './frames.ts';

/**
 * The SDK against a real server over real sockets: the acceptance tests.
 * Sockets are cut (and the server SIGKILLed) while 500 pipelined sends are in flight;
 * afterwards history must hold each exactly once, seq 1..500 with no gap, and the
 * peer must have received all 500 in order.
 */

const N = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
const wsUrlOf = (httpUrl: string) => httpUrl.replace('http', 'ws') + '/v1/ws';

const until = async (what: string, check: () => boolean, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

const clients: ChatClient[] = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const f of cleanups.splice(0).reverse()) await f();
});

const connectClient = async (url: string, getToken: () => Promise<string>, extra: Partial<ChatClientOptions> = {}) => {
  const client = createChatClient({
    url,
    getToken,
    WebSocket,
    backoff: { baseMs: 10, maxMs: 150 },
    heartbeatMs: 2_000,
    ...extra,
  });
  clients.push(client);
  const errors: unknown[] = [];
  client.on('error', (e) => errors.push(e));
  await new Promise<void>((resolve) => client.once('connected', () => resolve()));
  return { client, errors };
};

/** Collects a client's `message` events and checks each arrives in order. */
const collect = (client: ChatClient) => {
  const got: ChatMessage[] = [];
  client.on('message', (m) => got.push(m));
  return got;
};

type History = { messages: ChatMessage[]; has_more: boolean };
const fullHistory = async (call: (path: string) => Promise<{ status: number; body: History }>, chatId: string) => {
  const all: ChatMessage[] = [];
  for (let after = 0; ; ) {
    const { status, body } = await call(`/v1/messages?chat_id=${encodeURIComponent(chatId)}&after=${after}&limit=200`);
    expect(status).toBe(200);
    all.push(...body.messages);
    if (!body.has_more || body.messages.length === 0) return all;
    after = body.messages.at(-1)!.seq;
  }
};

/** The acceptance checks shared by both scenarios. */
const expectExactlyOnce = (history: ChatMessage[], acks: AckData[], peer: ChatMessage[], { ordered = true } = {}) => {
  // History: seq 1..N contiguous, each client_msg_id exactly once.
  expect(history.map((m) => m.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  const ids = history.map((m) => m.client_msg_id);
  expect(new Set(ids).size).toBe(N);
  expect(new Set(ids)).toEqual(new Set(Array.from({ length: N }, (_, i) => `ann-${i}`)));
  // One session's sends are stored in the order made, reconnects and re-sends included.
  if (ordered) expect(ids).toEqual(Array.from({ length: N }, (_, i) => `ann-${i}`));
  // Every ack the app saw names what history holds (nothing acknowledged is lost).
  expect(acks).toHaveLength(N);
  const bySeq = new Map(history.map((m) => [m.seq, m]));
  for (const ack of acks) {
    const stored = bySeq.get(ack.seq);
    expect(stored?.client_msg_id).toBe(ack.client_msg_id);
    expect(stored?.message_id).toBe(ack.message_id);
    expect(stored?.timestamp).toBe(ack.timestamp);
  }
  // The peer: all N, in order, once, no gap.
  expect(peer.map((m) => m.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  expect(peer.map((m) => m.client_msg_id)).toEqual(ids);
};

describe('chat client SDK over real sockets', () => {
  it('(a) reconnect: 500 pipelined sends with the socket cut several times mid-flight land exactly once, and the peer gets all in order', async () => {
    const started = Date.now();
    const server: TestServer = await startTestServer();
    cleanups.push(async () => {
      // Let the server see our sockets close before it stops: a session closing during its
      // shutdown arms a presence timer that later queries the closed read models (reported).
      await until('sessions to close', () => server.gateway.sessions.size === 0, 5_000).catch(() => {});
      await server.stop();
    });
    const url = wsUrlOf(server.url);
    const ann = await connectClient(url, () => server.token('ann'));
    const bob = await connectClient(url, () => server.token('bob'));
    const peer = collect(bob.client);

    const acks: AckData[] = [];
    const sends = Array.from({ length: N }, (_, i) =>
      ann.client.send({ receiverId: 'bob', messageType: 'text', content: `message ${i}`, clientMsgId: `ann-${i}` }).then((a) => void acks.push(a)),
    );
    const all = Promise.all(sends);
    let settled = false;
    void all.finally(() => (settled = true));

    // Cut the sender's socket at random points while sends are outstanding (terminate = abrupt,
    // close = handshake), and the peer's a couple of times so it has to sync what it missed.
    let annCuts = 0;
    let bobCuts = 0;
    while (!settled && annCuts < 8) {
      await sleep(randomInt(5, 60));
      if (settled) break;
      const socket = ann.client.__testing.socket() as unknown as WebSocket | null;
      if (!socket || socket.readyState !== WebSocket.OPEN) continue;
      if (annCuts % 2 === 0) socket.terminate();
      else socket.close();
      annCuts++;
      if (annCuts % 3 === 1) {
        (bob.client.__testing.socket() as unknown as WebSocket | null)?.terminate();
        bobCuts++;
      }
    }
    await all;
    expect(annCuts).toBeGreaterThanOrEqual(3);

    const chatId = acks[0]!.chat_id;
    await until('the peer to hold all messages', () => peer.length >= N);
    await sleep(200); // anything extra (a duplicate) would show up now
    const history = await fullHistory((p) => server.call('bob', 'GET', p), chatId);
    expectExactlyOnce(history, acks, peer);
    expect(ann.client.state()).toMatchObject({ connected: true, queued: 0, held: 0, lastSeq: { [chatId]: N } });
    expect(bob.client.state()).toMatchObject({ held: 0, lastSeq: { [chatId]: N } });
    console.log(`(a) ${annCuts} sender cuts, ${bobCuts} peer cuts, ${Date.now() - started} ms; errors: ann ${ann.errors.length}, bob ${bob.errors.length}`);
  }, 120_000);

  it('(b) server restart: SIGKILL and restart on the same data dir and port mid-flight; nothing acknowledged lost, nothing duplicated', async () => {
    const started = Date.now();
    const dataDir = scratchDir('client-e2e');
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let server: ChildServer = await startChildServer({ dataDir });
    const { port, jwtSecret } = server;
    cleanups.push(() => server.kill('SIGKILL'));
    const url = wsUrlOf(server.url);
    // Tokens are signed locally with the child's secret, so they stay valid across restarts.
    const ann = await connectClient(url, () => server.token('ann'));
    const bob = await connectClient(url, () => server.token('bob'));
    const peer = collect(bob.client);

    const acks: AckData[] = [];
    const sends = Array.from({ length: N }, (_, i) =>
      ann.client.send({ receiverId: 'bob', messageType: 'text', content: `message ${i}`, clientMsgId: `ann-${i}` }).then((a) => void acks.push(a)),
    );
    const all = Promise.all(sends);
    let settled = false;
    void all.finally(() => (settled = true));

    // Kill at random points spread over the run: after a random number of acks in each third.
    const thresholds = [randomInt(20, 150), randomInt(180, 320), randomInt(350, 470)];
    let kills = 0;
    const acksAtKill: number[] = [];
    for (const threshold of thresholds) {
      while (!settled && acks.length < threshold) await sleep(2);
      if (settled) break;
      acksAtKill.push(acks.length);
      await server.kill('SIGKILL');
      kills++;
      server = await startChildServer({ dataDir, port, env: { CHAT_JWT_SECRET: jwtSecret } });
    }
    await all;
    expect(kills).toBeGreaterThanOrEqual(1);

    const chatId = acks[0]!.chat_id;
    await until('the peer to hold all messages', () => peer.length >= N);
    await sleep(200);
    const history = await fullHistory((p) => server.call('bob', 'GET', p), chatId);
    expectExactlyOnce(history, acks, peer);
    expect(bob.client.state()).toMatchObject({ held: 0, lastSeq: { [chatId]: N } });
    console.log(`(b) ${kills} SIGKILLs (acks before each: ${acksAtKill.join(', ')}), ${Date.now() - started} ms; errors: ann ${ann.errors.length}, bob ${bob.errors.length}`);
  }, 180_000);

  it('(c) unbounded pipelining into the gateway\'s per-session frame limit: refusals (some without a ref) are retried, all land exactly once', async () => {
    const started = Date.now();
    const server: TestServer = await startTestServer();
    cleanups.push(async () => {
      await until('sessions to close', () => server.gateway.sessions.size === 0, 5_000).catch(() => {});
      await server.stop();
    });
    const url = wsUrlOf(server.url);
    const ann = await connectClient(url, () => server.token('ann'), { maxInFlight: Infinity });
    const bob = await connectClient(url, () => server.token('bob'));
    const peer = collect(bob.client);
    const acks: AckData[] = [];
    await Promise.all(
      Array.from({ length: N }, (_, i) =>
        ann.client.send({ receiverId: 'bob', messageType: 'text', content: `message ${i}`, clientMsgId: `ann-${i}` }).then((a) => void acks.push(a)),
      ),
    );
    const chatId = acks[0]!.chat_id;
    await until('the peer to hold all messages', () => peer.length >= N);
    await sleep(200);
    const history = await fullHistory((p) => server.call('bob', 'GET', p), chatId);
    // A refused frame in the middle of a pipelined run is stored after later ones: order is not promised here.
    expectExactlyOnce(history, acks, peer, { ordered: false });
    const refusals = ann.errors.filter((e) => (e as { code?: string }).code === 'rate_limited').length;
    const inOrder = history.every((m, i) => m.client_msg_id === `ann-${i}`);
    console.log(`(c) ${refusals} rate_limited refusals, stored in send order: ${inOrder}, ${Date.now() - started} ms`);
  }, 120_000);
});
