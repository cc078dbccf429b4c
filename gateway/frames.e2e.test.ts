import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.ts';
import { connectWs, settle, type WsTestClient } from '../testing/wsTestClient.ts';

let server: TestServer;
const open: WsTestClient[] = [];
const connect = async (...args: Parameters<typeof connectWs> extends [unknown, ...infer R] ? R : never) => {
  const c = await connectWs(server, ...args);
  open.push(c);
  return c;
};
beforeAll(async () => {
  server = await startTestServer({ CHAT_PRESENCE_GRACE_MS: '300', CHAT_WS_AUTH_TIMEOUT_MS: '400' });
});
afterAll(async () => {
  for (const c of open) c.close();
  await server.stop();
});

const wsUrl = () => `${server.url.replace('http', 'ws')}/v1/ws`;
const text = (to: { receiver_id?: string; chat_id?: string }, clientMsgId: string, ref = clientMsgId) => ({
  type: 'message',
  ref,
  data: { ...to, message_type: 'text', content: `text ${clientMsgId}`, client_msg_id: clientMsgId },
});

describe('auth', () => {
  it('accepts a bearer header, ?token= and a first auth frame (answered with auth_ok)', async () => {
    for (const auth of ['header', 'query'] as const) {
      const c = await connect('ann', { auth });
      c.send({ type: 'ping', ref: auth });
      expect(await c.next((f) => f.type === 'pong')).toEqual({ type: 'pong', ref: auth });
    }
    const c = await connect('ann', { auth: 'frame' });
    expect(c.frames[0]).toEqual({ type: 'auth_ok', user_id: 'ann', session_id: expect.any(String) });
  });

  it('refuses a bad token at the upgrade with HTTP 401', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${wsUrl()}?token=forged`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(status).toBe(401);
  });

  it('closes with 4401 on a bad first-frame token, a first frame that is not auth, or no auth in time', async () => {
    const closeCode = (first?: unknown) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl());
        ws.on('open', () => first !== undefined && ws.send(JSON.stringify(first)));
        ws.on('close', (code) => resolve(code));
      });
    expect(await closeCode({ type: 'auth', token: 'forged' })).toBe(4401);
    expect(await closeCode({ type: 'ping' })).toBe(4401);
    expect(await closeCode()).toBe(4401);
  });

  it('refuses a browser Origin that is not the server’s own', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${wsUrl()}?token=x`, { headers: { origin: 'https://evil.example' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(status).toBe(403);
  });

  it('processes frames sent right after the auth frame, before auth_ok', async () => {
    const ws = new WebSocket(wsUrl());
    const frames: { type: string; ref?: string }[] = [];
    ws.on('message', (m) => frames.push(JSON.parse(m.toString())));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'auth', token: await server.token('ann') }));
    ws.send(JSON.stringify({ type: 'ping', ref: 'early' }));
    await settle(300);
    expect(frames.map((f) => f.type)).toEqual(['auth_ok', 'pong']);
    ws.close();
  });
});

describe('messages', () => {
  it('acks the sender after commit, delivers to the peer and to the sender’s other devices, never echoes', async () => {
    const phone = await connect('cid', { deviceId: 'phone' });
    const laptop = await connect('cid', { deviceId: 'laptop' });
    const peer = await connect('dee');
    phone.send(text({ receiver_id: 'dee' }, 'm1'));
    const ack = await phone.next((f) => f.type === 'ack');
    expect(ack).toEqual({
      type: 'ack',
      ref: 'm1',
      data: { client_msg_id: 'm1', message_id: expect.any(String), chat_id: expect.stringMatching(/^dm-/), seq: 1, timestamp: expect.any(String), status: 'sent' },
    });
    const delivered = await peer.next((f) => f.type === 'message');
    expect(delivered.data).toEqual({
      message_id: ack.data.message_id,
      chat_id: ack.data.chat_id,
      seq: 1,
      sender_id: 'cid',
      message_type: 'text',
      content: 'text m1',
      client_msg_id: 'm1',
      timestamp: ack.data.timestamp,
    });
    expect((await laptop.next((f) => f.type === 'message')).data.seq).toBe(1);
    await settle();
    expect(phone.all('message')).toHaveLength(0);
  });

  it('answers a repeated client_msg_id with the original ack and delivers nothing new', async () => {
    const a = await connect('eva');
    const b = await connect('fin');
    a.send(text({ receiver_id: 'fin' }, 'dup', 'first'));
    const first = await a.next((f) => f.type === 'ack' && f.ref === 'first');
    a.send(text({ receiver_id: 'fin' }, 'dup', 'again'));
    const again = await a.next((f) => f.type === 'ack' && f.ref === 'again');
    expect(again.data).toEqual(first.data);
    await settle();
    expect(b.all('message')).toHaveLength(1);
  });

  it('fans out group messages to members only', async () => {
    const { body: g } = await server.call('gil', 'POST', '/v1/groups', { name: 'G', member_ids: ['hue', 'ivy'] });
    const [gil, hue, ivy, out] = await Promise.all(['gil', 'hue', 'ivy', 'jax'].map((u) => connect(u)));
    gil!.send(text({ chat_id: g.group_id }, 'g1'));
    await gil!.next((f) => f.type === 'ack');
    expect((await hue!.next((f) => f.type === 'message')).data).toMatchObject({ chat_id: g.group_id, seq: 1, sender_id: 'gil' });
    expect((await ivy!.next((f) => f.type === 'message')).data.seq).toBe(1);
    out!.send(text({ chat_id: g.group_id }, 'intruder'));
    expect((await out!.next((f) => f.type === 'error')).error!.code).toBe('forbidden');
    await settle();
    expect(out!.all('message')).toHaveLength(0);
  });

  it('sends message_update for edits, deletes and reactions, and membership frames', async () => {
    const { body: g } = await server.call('kai', 'POST', '/v1/groups', { name: 'U', member_ids: ['lou'] });
    const lou = await connect('lou');
    const { body: m } = await server.call('kai', 'POST', `/v1/groups/${g.group_id}/messages`, { message_type: 'text', content: 'v1', client_msg_id: 'u1' });
    await server.call('kai', 'PATCH', `/v1/messages/${m.message_id}`, { content: 'v2' });
    expect((await lou.next((f) => f.type === 'message_update')).data).toMatchObject({ message_id: m.message_id, content: 'v2', edited_at: expect.any(String) });
    await server.call('lou', 'PUT', `/v1/messages/${m.message_id}/reactions/ok`);
    await lou.next((f) => f.type === 'message_update' && f.data.reactions?.ok?.[0] === 'lou');
    await server.call('kai', 'POST', `/v1/groups/${g.group_id}/members`, { user_ids: ['max'] });
    expect((await lou.next((f) => f.type === 'membership')).data).toEqual({ chat_id: g.group_id, event: 'added', user_id: 'max' });
    await server.call('kai', 'DELETE', `/v1/groups/${g.group_id}/members/max`);
    expect((await lou.next((f) => f.type === 'membership' && f.data.event === 'removed')).data).toEqual({ chat_id: g.group_id, event: 'removed', user_id: 'max' });
    await server.call('kai', 'DELETE', `/v1/messages/${m.message_id}`);
    expect((await lou.next((f) => f.type === 'message_update' && f.data.deleted === true)).data).toMatchObject({ content: '', deleted: true });
  });
});

describe('receipts', () => {
  it('direct chats: the peer’s watermark with user_id', async () => {
    const a = await connect('nia');
    const b = await connect('oli');
    a.send(text({ receiver_id: 'oli' }, 'r1'));
    const { data } = await a.next((f) => f.type === 'ack');
    await b.next((f) => f.type === 'message');
    b.send({ type: 'ack', chat_id: data.chat_id, seq: 1 });
    expect((await a.next((f) => f.type === 'receipt' && f.data.kind === 'delivered')).data).toEqual({ chat_id: data.chat_id, kind: 'delivered', seq: 1, user_id: 'oli' });
    b.send({ type: 'read', chat_id: data.chat_id, seq: 1 });
    expect((await a.next((f) => f.type === 'receipt' && f.data.kind === 'read')).data).toEqual({ chat_id: data.chat_id, kind: 'read', seq: 1, user_id: 'oli' });
    await settle();
    expect(b.all('receipt')).toHaveLength(0); // the peer's watermark only: nobody is told their own
  });

  it('groups: the all-members watermark without user_id, once everyone has reached it', async () => {
    const { body: g } = await server.call('pam', 'POST', '/v1/groups', { name: 'R', member_ids: ['quy', 'rae'] });
    const pam = await connect('pam');
    const { body: m } = await server.call('pam', 'POST', `/v1/groups/${g.group_id}/messages`, { message_type: 'text', content: 'x', client_msg_id: 'r' });
    await server.call('quy', 'POST', `/v1/chats/${g.group_id}/read`, { seq: 1 });
    await settle(200);
    expect(pam.all('receipt').filter((f) => f.data.user_id === undefined)).toHaveLength(0);
    await server.call('rae', 'POST', `/v1/chats/${g.group_id}/read`, { seq: 1 });
    await server.call('pam', 'POST', `/v1/chats/${g.group_id}/read`, { seq: 1 });
    expect((await pam.next((f) => f.type === 'receipt' && f.data.kind === 'read' && f.data.user_id === undefined)).data).toEqual({ chat_id: g.group_id, kind: 'read', seq: 1 });
    expect(m.seq).toBe(1);
  });

  it('refuses a watermark beyond the last seq, or for a chat the user is not in', async () => {
    const a = await connect('sid');
    a.send(text({ receiver_id: 'tia' }, 'w1'));
    const { data } = await a.next((f) => f.type === 'ack');
    a.send({ type: 'read', ref: 'beyond', chat_id: data.chat_id, seq: 2 });
    expect((await a.next((f) => f.type === 'error' && f.ref === 'beyond')).error!.code).toBe('bad_request');
    const stranger = await connect('uwe');
    stranger.send({ type: 'ack', ref: 'foreign', chat_id: data.chat_id, seq: 1 });
    expect((await stranger.next((f) => f.type === 'error' && f.ref === 'foreign')).error!.code).toBe('forbidden');
  });
});

describe('typing', () => {
  it('is relayed to the other members, at most one start per 2 s per chat, never to non-members', async () => {
    const { body: g } = await server.call('val', 'POST', '/v1/groups', { name: 'T', member_ids: ['wes'] });
    const val = await connect('val');
    const wes = await connect('wes');
    const xia = await connect('xia');
    for (let i = 0; i < 5; i++) val.send({ type: 'typing', chat_id: g.group_id, state: 'start' });
    val.send({ type: 'typing', chat_id: g.group_id, state: 'stop' });
    await wes.next((f) => f.type === 'typing' && f.data.state === 'stop');
    expect(wes.all('typing').map((f) => f.data)).toEqual([
      { chat_id: g.group_id, user_id: 'val', state: 'start' },
      { chat_id: g.group_id, user_id: 'val', state: 'stop' },
    ]);
    xia.send({ type: 'typing', ref: 't', chat_id: g.group_id });
    expect((await xia.next((f) => f.type === 'error')).error!.code).toBe('forbidden');
    await settle();
    expect(val.all('typing')).toHaveLength(0);
    expect(xia.all('typing')).toHaveLength(0);
  });
});

describe('sync', () => {
  it('answers every chat of the user, with the messages after `since` for the chats named', async () => {
    const a = await connect('yan');
    for (let i = 1; i <= 5; i++) a.send(text({ receiver_id: 'zoe' }, `s${i}`));
    await a.next((f) => f.type === 'ack' && f.ref === 's5');
    a.send(text({ receiver_id: 'abe' }, 'other'));
    const { data: other } = await a.next((f) => f.type === 'ack' && f.ref === 'other');
    const z = await connect('zoe');
    const chatId = a.all('ack')[0]!.data.chat_id;
    z.send({ type: 'sync', ref: 'q', since: { [chatId]: 2 }, limit: 2 });
    const answer = await z.next((f) => f.type === 'sync');
    expect(answer.ref).toBe('q');
    expect(answer.data.chats).toHaveLength(1);
    expect(answer.data.chats[0]).toMatchObject({ chat_id: chatId, last_seq: 5, read_seq: 0, unread_count: 5, has_more: true });
    expect(answer.data.chats[0].messages.map((m: { seq: number }) => m.seq)).toEqual([3, 4]);
    a.send({ type: 'sync', ref: 'all', since: {} });
    const mine = await a.next((f) => f.type === 'sync' && f.ref === 'all');
    expect(mine.data.chats.map((c: { chat_id: string }) => c.chat_id).sort()).toEqual([chatId, other.chat_id].sort());
    for (const c of mine.data.chats) expect(c).toMatchObject({ messages: [], has_more: false, unread_count: 0 });
  });
});

describe('presence', () => {
  it('tells direct peers and subscribers when a user goes online and offline, without flapping on a quick reconnect', async () => {
    const watcher = await connect('ada');
    await server.call('ada', 'POST', '/v1/messages', { receiver_id: 'bea', message_type: 'text', content: 'hi', client_msg_id: 'p' });
    await server.call('cal', 'POST', '/v1/messages', { receiver_id: 'bea', message_type: 'text', content: 'hi', client_msg_id: 'p' }); // cal shares no chat with ada
    watcher.send({ type: 'presence_subscribe', ref: 'sub', user_ids: ['bea', 'cal'] });
    const now = await watcher.next((f) => f.type === 'presence' && f.ref === 'sub');
    expect(now.data).toEqual({ user_id: 'bea', status: 'offline', last_seen: null });
    await settle();
    expect(watcher.all('presence').filter((f) => f.data.user_id === 'cal')).toHaveLength(0);

    const bea = await connect('bea');
    expect((await watcher.next((f) => f.type === 'presence' && f.ref === undefined && f.data.status === 'online')).data.user_id).toBe('bea');
    bea.close();
    await bea.closed;
    const again = await connect('bea'); // back within the grace period: no flap
    await settle(500);
    expect(watcher.all('presence').filter((f) => f.data.status === 'offline' && f.ref === undefined)).toHaveLength(0);
    again.close();
    const offline = await watcher.next((f) => f.type === 'presence' && f.data.status === 'offline' && f.ref === undefined, 3_000);
    expect(offline.data).toEqual({ user_id: 'bea', status: 'offline', last_seen: expect.any(String) });
    expect((await server.call('ada', 'GET', '/v1/presence?user_ids=bea')).body.presence[0]).toMatchObject({ status: 'offline', last_seen: expect.any(String) });
  });
});
