import { afterEach, describe, expect, it } from 'vitest';
import { createChatClient, type ChatClient, type ChatClientOptions } from './createChatClient.ts';
import type { ChatMessage } from './frames.ts';
import type { SocketLike } from './socket.ts';

/**
 * The client's protocol logic against a scripted in-memory socket: the network is
 * faked, the client is real. Each test plays the server by hand, frame by frame.
 */
type Sent = Record<string, any>;

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Sent[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.serverClose(1000, '');
  }
  // the server side
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  push(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  serverClose(code: number, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  frames(type: string) {
    return this.sent.filter((f) => f.type === type);
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const until = async (check: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await tick(2);
  }
};
const latest = () => FakeSocket.all[FakeSocket.all.length - 1]!;
const msg = (chat_id: string, seq: number, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  message_id: `${chat_id}-${seq}`,
  chat_id,
  seq,
  sender_id: 'bob',
  message_type: 'text',
  content: `m${seq}`,
  client_msg_id: `cm-${chat_id}-${seq}`,
  timestamp: '2025-01-01T00:00:00.000Z',
  ...extra,
});

const clients: ChatClient[] = [];
const start = async (extra: Partial<ChatClientOptions> = {}) => {
  FakeSocket.all = [];
  const client = createChatClient({
    url: 'ws://chat.test/v1/ws',
    token: 't1',
    WebSocket: FakeSocket,
    backoff: { baseMs: 5, maxMs: 20 },
    heartbeatMs: 0,
    ...extra,
  });
  clients.push(client);
  await until(() => FakeSocket.all.length > 0);
  return client;
};
/** Opens the latest socket, answers auth, and answers the connect sync with `chats`. */
const accept = async (chats: unknown[] = []) => {
  const ws = latest();
  ws.open();
  ws.push({ type: 'auth_ok', user_id: 'ann', session_id: `s${FakeSocket.all.length}` });
  const sync = ws.frames('sync').at(-1)!;
  ws.push({ type: 'sync', ref: sync.ref, data: { chats } });
  return ws;
};

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe('createChatClient (scripted socket)', () => {
  it('with several endpoints, each reconnect tries the next one (a dead gateway is left at once)', async () => {
    await start({ url: ['ws://a.test/v1/ws', 'ws://b.test/v1/ws'] });
    expect(new URL(latest().url).host).toBe('a.test');
    await accept();
    latest().serverClose(1006, 'node died');
    await until(() => FakeSocket.all.length === 2);
    expect(new URL(latest().url).host).toBe('b.test');
    latest().serverClose(1006, 'refused');
    await until(() => FakeSocket.all.length === 3);
    expect(new URL(latest().url).host).toBe('a.test');
  });

  it('authenticates with the first frame, passes device_id, and treats auth_ok as connected', async () => {
    const client = await start({ deviceId: 'phone-1' });
    const connected: unknown[] = [];
    client.on('connected', (e) => connected.push(e));
    const ws = latest();
    expect(new URL(ws.url).searchParams.get('device_id')).toBe('phone-1');
    expect(new URL(ws.url).searchParams.get('token')).toBeNull();
    ws.open();
    expect(ws.sent[0]).toEqual({ type: 'auth', token: 't1' });
    expect(client.state().connected).toBe(false);
    ws.push({ type: 'auth_ok', user_id: 'ann', session_id: 's1' });
    expect(connected).toEqual([{ userId: 'ann', sessionId: 's1' }]);
    expect(client.state()).toMatchObject({ connected: true, userId: 'ann', sessionId: 's1' });
    // the connect sync goes out even with nothing known, to learn the user's chats
    expect(ws.frames('sync')).toEqual([{ type: 'sync', ref: expect.any(String), since: {}, limit: 100 }]);
  });

  it('pipelines sends and re-sends the unacknowledged ones after a reconnect, in order, same client_msg_id', async () => {
    const client = await start();
    const ws1 = await accept();
    const done = ['a', 'b', 'c'].map((id) => client.send({ receiverId: 'bob', messageType: 'text', content: id, clientMsgId: id }));
    const sent1 = ws1.frames('message');
    expect(sent1.map((f) => f.data.client_msg_id)).toEqual(['a', 'b', 'c']);
    expect(sent1[0]!.data).toEqual({ receiver_id: 'bob', message_type: 'text', content: 'a', client_msg_id: 'a' });
    ws1.push({ type: 'ack', ref: sent1[0]!.ref, data: { client_msg_id: 'a', message_id: 'ma', chat_id: 'dm', seq: 1, timestamp: 't', status: 'sent' } });
    await expect(done[0]).resolves.toMatchObject({ seq: 1, chat_id: 'dm' });
    const disconnected: unknown[] = [];
    client.on('disconnected', (e) => disconnected.push(e));
    ws1.serverClose(1006);
    expect(disconnected).toEqual([{ code: 1006, reason: '' }]);
    expect(client.state().queued).toBe(2);
    await until(() => FakeSocket.all.length === 2);
    const ws2 = await accept();
    const sent2 = ws2.frames('message');
    expect(sent2.map((f) => f.data.client_msg_id)).toEqual(['b', 'c']);
    expect(ws2.frames('sync')[0]!.since).toEqual({ dm: 1 });
    for (const [i, f] of sent2.entries())
      ws2.push({ type: 'ack', ref: f.ref, data: { client_msg_id: f.data.client_msg_id, message_id: `m${i}`, chat_id: 'dm', seq: i + 2, timestamp: 't', status: 'sent' } });
    await expect(Promise.all(done)).resolves.toHaveLength(3);
    expect(client.state()).toMatchObject({ queued: 0, lastSeq: { dm: 3 } });
  });

  it('a gap in live messages is synced, paged while has_more, then the held messages flush in order', async () => {
    const client = await start({ syncLimit: 2 });
    const ws = await accept();
    const seen: number[] = [];
    client.on('message', (m) => seen.push(m.seq));
    ws.push({ type: 'message', data: msg('g', 5) }); // unknown chat: baseline 0, so 1..4 are missing
    expect(seen).toEqual([]);
    const s1 = ws.frames('sync').at(-1)!;
    expect(s1.since).toEqual({ g: 0 });
    ws.push({ type: 'message', data: msg('g', 6) }); // held too; no second sync while one is in flight
    expect(ws.frames('sync')).toHaveLength(2);
    ws.push({ type: 'sync', ref: s1.ref, data: { chats: [{ chat_id: 'g', last_seq: 6, read_seq: 0, unread_count: 6, messages: [msg('g', 2), msg('g', 1)], has_more: true }] } });
    await until(() => ws.frames('sync').length === 3);
    expect(seen).toEqual([1, 2]);
    const s2 = ws.frames('sync').at(-1)!;
    expect(s2.since).toEqual({ g: 2 });
    ws.push({ type: 'sync', ref: s2.ref, data: { chats: [{ chat_id: 'g', last_seq: 6, read_seq: 0, unread_count: 6, messages: [msg('g', 3), msg('g', 4)], has_more: true }] } });
    await until(() => ws.frames('sync').length === 4);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    const s3 = ws.frames('sync').at(-1)!;
    ws.push({ type: 'sync', ref: s3.ref, data: { chats: [{ chat_id: 'g', last_seq: 6, read_seq: 0, unread_count: 6, messages: [msg('g', 5), msg('g', 6)], has_more: false }] } });
    await tick(20);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(client.state()).toMatchObject({ held: 0, lastSeq: { g: 6 } });
  });

  it('chats first seen in a sync answer start at their last_seq; with syncNewChats they are fetched from 0', async () => {
    const plain = await start();
    await accept([{ chat_id: 'old', last_seq: 40, read_seq: 40, unread_count: 0, messages: [], has_more: false }]);
    await tick();
    expect(plain.state().lastSeq).toEqual({ old: 40 });

    const full = await start({ syncNewChats: true });
    const ws = await accept([{ chat_id: 'old', last_seq: 2, read_seq: 0, unread_count: 2, messages: [], has_more: false }]);
    const seen: number[] = [];
    full.on('message', (m) => seen.push(m.seq));
    await until(() => ws.frames('sync').length === 2);
    const s = ws.frames('sync')[1]!;
    expect(s.since).toEqual({ old: 0 });
    ws.push({ type: 'sync', ref: s.ref, data: { chats: [{ chat_id: 'old', last_seq: 2, read_seq: 0, unread_count: 2, messages: [msg('old', 1), msg('old', 2)], has_more: false }] } });
    await until(() => seen.length === 2);
    expect(seen).toEqual([1, 2]);
  });

  it('a live message and its sync copy are delivered once; own pending sends in a sync answer are not shown', async () => {
    const client = await start({ knownSeqs: { c: 1 } });
    const seen: string[] = [];
    client.on('message', (m) => seen.push(`${m.seq}:${m.sender_id}`));
    const pending = client.send({ chatId: 'c', messageType: 'text', content: 'mine', clientMsgId: 'mine-1' });
    const ws = latest();
    ws.open();
    ws.push({ type: 'auth_ok', user_id: 'ann', session_id: 's' });
    const sync = ws.frames('sync')[0]!;
    expect(sync.since).toEqual({ c: 1 });
    ws.push({ type: 'message', data: msg('c', 2) });
    ws.push({
      type: 'sync',
      ref: sync.ref,
      data: { chats: [{ chat_id: 'c', last_seq: 3, read_seq: 1, unread_count: 1, messages: [msg('c', 2), msg('c', 3, { sender_id: 'ann', client_msg_id: 'mine-1' })], has_more: false }] },
    });
    await tick();
    expect(seen).toEqual(['2:bob']);
    expect(client.state().lastSeq).toEqual({ c: 3 });
    const send = ws.frames('message')[0]!;
    ws.push({ type: 'ack', ref: send.ref, data: { client_msg_id: 'mine-1', message_id: 'x', chat_id: 'c', seq: 3, timestamp: 't', status: 'sent' } });
    await expect(pending).resolves.toMatchObject({ seq: 3 });
    expect(client.state().lastSeq).toEqual({ c: 3 });
  });

  it('send errors: non-retryable codes reject; rate_limited retries after a backoff with the same frame', async () => {
    const client = await start();
    const ws = await accept();
    const bad = client.send({ chatId: 'c', messageType: 'text', content: 'x' });
    const slow = client.send({ chatId: 'c', messageType: 'text', content: 'y' });
    const [f1, f2] = ws.frames('message');
    ws.push({ type: 'error', ref: f1!.ref, error: { code: 'forbidden', message: 'not a member' } });
    await expect(bad).rejects.toMatchObject({ code: 'forbidden' });
    ws.push({ type: 'error', ref: f2!.ref, error: { code: 'rate_limited', message: 'slow down' } });
    await until(() => ws.frames('message').length === 3);
    expect(ws.frames('message')[2]).toEqual(f2);
    ws.push({ type: 'ack', ref: f2!.ref, data: { client_msg_id: f2!.data.client_msg_id, message_id: 'm', chat_id: 'c', seq: 1, timestamp: 't', status: 'sent' } });
    await expect(slow).resolves.toMatchObject({ seq: 1 });
    expect(f2!.data.client_msg_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a rate_limited error without a ref: pause, then re-send what is still unanswered, same refs, in order', async () => {
    const client = await start();
    const ws = await accept();
    const done = ['a', 'b', 'c'].map((id) => client.send({ chatId: 'c', messageType: 'text', content: id, clientMsgId: id }));
    const first = ws.frames('message');
    ws.push({ type: 'ack', ref: first[0]!.ref, data: { client_msg_id: 'a', message_id: 'ma', chat_id: 'c', seq: 1, timestamp: 't', status: 'sent' } });
    ws.push({ type: 'error', error: { code: 'rate_limited', message: 'too many frames' } });
    // b's ack arrives during the pause: only c goes out again
    ws.push({ type: 'ack', ref: first[1]!.ref, data: { client_msg_id: 'b', message_id: 'mb', chat_id: 'c', seq: 2, timestamp: 't', status: 'sent' } });
    await until(() => ws.frames('message').length === 4);
    expect(ws.frames('message')[3]).toEqual(first[2]);
    ws.push({ type: 'ack', ref: first[2]!.ref, data: { client_msg_id: 'c', message_id: 'mc', chat_id: 'c', seq: 3, timestamp: 't', status: 'sent' } });
    await expect(Promise.all(done)).resolves.toHaveLength(3);
  });

  it('refusals without a ref that arrive during the pause also hold what went out meanwhile', async () => {
    const client = await start({ backoff: { baseMs: 40, maxMs: 40 } });
    const ws = await accept();
    const ackFor = (f: Sent, seq: number) => ({ type: 'ack', ref: f.ref, data: { client_msg_id: f.data.client_msg_id, message_id: f.data.client_msg_id, chat_id: 'c', seq, timestamp: 't', status: 'sent' } });
    const a = client.send({ chatId: 'c', messageType: 'text', content: 'a', clientMsgId: 'a' });
    ws.push({ type: 'error', error: { code: 'rate_limited', message: 'too many frames' } }); // pause starts; a held
    ws.push(ackFor(ws.frames('message')[0]!, 1)); // …but a had been accepted after all
    await expect(a).resolves.toMatchObject({ seq: 1 });
    const c = client.send({ chatId: 'c', messageType: 'text', content: 'c', clientMsgId: 'c' }); // nothing held: goes out during the pause
    expect(ws.frames('message').map((f) => f.data.client_msg_id)).toEqual(['a', 'c']);
    ws.push({ type: 'error', error: { code: 'rate_limited', message: 'too many frames' } }); // c refused while the pause runs
    await until(() => ws.frames('message').length === 3, 1000); // c again once the pause is over
    expect(ws.frames('message')[2]).toEqual(ws.frames('message')[1]);
    ws.push(ackFor(ws.frames('message')[2]!, 2));
    await expect(c).resolves.toMatchObject({ seq: 2 });
  });

  it('a send that is never answered is written again after sendTimeoutMs, same ref', async () => {
    const client = await start({ sendTimeoutMs: 40 });
    const ws = await accept();
    const done = client.send({ chatId: 'c', messageType: 'text', content: 'a', clientMsgId: 'a' });
    await until(() => ws.frames('message').length === 2, 1000);
    const [first, again] = ws.frames('message');
    expect(again).toEqual(first);
    ws.push({ type: 'ack', ref: first!.ref, data: { client_msg_id: 'a', message_id: 'm', chat_id: 'c', seq: 1, timestamp: 't', status: 'sent' } });
    ws.push({ type: 'ack', ref: first!.ref, data: { client_msg_id: 'a', message_id: 'm', chat_id: 'c', seq: 1, timestamp: 't', status: 'sent' } });
    await expect(done).resolves.toMatchObject({ seq: 1 });
  });

  it('at most maxInFlight sends are unanswered at once', async () => {
    const client = await start({ maxInFlight: 2 });
    const ws = await accept();
    const done = ['a', 'b', 'c'].map((id) => client.send({ chatId: 'c', messageType: 'text', content: id, clientMsgId: id }));
    expect(ws.frames('message').map((f) => f.data.client_msg_id)).toEqual(['a', 'b']);
    const f = ws.frames('message')[0]!;
    ws.push({ type: 'ack', ref: f.ref, data: { client_msg_id: 'a', message_id: 'ma', chat_id: 'c', seq: 1, timestamp: 't', status: 'sent' } });
    expect(ws.frames('message').map((f) => f.data.client_msg_id)).toEqual(['a', 'b', 'c']);
    client.close();
    await expect(done[1]).rejects.toMatchObject({ code: 'closed' });
    await expect(done[2]).rejects.toMatchObject({ code: 'closed' });
  });

  it('refuses locally what the server could only answer by closing the socket', async () => {
    const client = await start();
    await expect(client.send({ chatId: 'c', messageType: 'text', content: 'x'.repeat(70_000) })).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect(client.send({ messageType: 'text', content: 'x' })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('4401: with getToken it retries once with a fresh token, then gives up with an error', async () => {
    let n = 0;
    const client = await start({ token: undefined, getToken: async () => `tok${++n}` });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    const pending = client.send({ chatId: 'c', messageType: 'text', content: 'x' });
    latest().open();
    expect(latest().sent[0]).toEqual({ type: 'auth', token: 'tok1' });
    latest().serverClose(4401, 'bad token');
    await until(() => FakeSocket.all.length === 2);
    latest().open();
    expect(latest().sent[0]).toEqual({ type: 'auth', token: 'tok2' });
    latest().serverClose(4401, 'bad token');
    await expect(pending).rejects.toMatchObject({ code: 'auth_failed' });
    expect(errors).toEqual(['auth_failed']);
    await tick(50);
    expect(FakeSocket.all).toHaveLength(2);
    expect(client.state().status).toBe('closed');
    await expect(client.send({ chatId: 'c', messageType: 'text', content: 'y' })).rejects.toMatchObject({ code: 'auth_failed' });
    // the app may try again explicitly
    client.connect();
    await until(() => FakeSocket.all.length === 3);
    latest().open();
    expect(latest().sent[0]).toEqual({ type: 'auth', token: 'tok3' });
  });

  it('4401 with a fixed token stops at once', async () => {
    const client = await start();
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    latest().open();
    latest().serverClose(4401);
    await tick(50);
    expect(errors).toEqual(['auth_failed']);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('reconnects after other closes, and not after close()', async () => {
    const client = await start();
    await accept();
    latest().serverClose(1011);
    await until(() => FakeSocket.all.length === 2);
    await accept();
    client.close();
    await tick(50);
    expect(FakeSocket.all).toHaveLength(2);
    expect(client.state().status).toBe('closed');
  });

  it('auto acks are coalesced: one ack frame for the highest contiguous seq', async () => {
    const client = await start({ autoAckIntervalMs: 30 });
    const ws = await accept();
    for (let s = 1; s <= 5; s++) ws.push({ type: 'message', data: msg('c', s) });
    expect(ws.frames('ack')).toEqual([]);
    await until(() => ws.frames('ack').length > 0);
    await tick(60);
    expect(ws.frames('ack')).toEqual([{ type: 'ack', chat_id: 'c', seq: 5 }]);
    expect(client.state().lastSeq).toEqual({ c: 5 });
  });

  it('presence subscriptions and read watermarks made offline are sent after auth_ok; ping measures a round trip', async () => {
    const client = await start();
    client.subscribePresence(['bob', 'cy']);
    client.read('c', 4);
    const ws = latest();
    ws.open();
    ws.push({ type: 'auth_ok', user_id: 'ann', session_id: 's' });
    expect(ws.frames('presence_subscribe').map((f) => f.user_ids)).toEqual([['bob', 'cy']]);
    expect(ws.frames('read')).toEqual([{ type: 'read', chat_id: 'c', seq: 4 }]);
    const presence: unknown[] = [];
    client.on('presence', (p) => presence.push(p));
    ws.push({ type: 'presence', ref: ws.frames('presence_subscribe')[0]!.ref, data: { user_id: 'bob', status: 'online', last_seen: null } });
    expect(presence).toHaveLength(1);
    const rtt = client.ping();
    ws.push({ type: 'pong', ref: ws.frames('ping')[0]!.ref });
    await expect(rtt).resolves.toBeGreaterThanOrEqual(0);
  });

  it('a heartbeat without a pong drops the connection and reconnects', async () => {
    const client = await start({ heartbeatMs: 20 });
    await accept();
    const disconnected: unknown[] = [];
    client.on('disconnected', (e) => disconnected.push(e));
    await until(() => FakeSocket.all.length === 2, 1000);
    expect(disconnected).toEqual([{ code: 4000, reason: 'heartbeat timeout' }]);
  });
});
