import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonTextOf, SLOT_COUNT } from '../projections/sqlite/jsonSlots.ts';
import { startTestServer, type TestServer } from '../testing/testServer.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const send = (from: string, to: string, clientMsgId: string, extra: Record<string, unknown> = {}) =>
  server.call(from, 'POST', '/v1/messages', { receiver_id: to, message_type: 'text', content: `${from}:${clientMsgId}`, client_msg_id: clientMsgId, ...extra });

describe('POST /v1/messages', () => {
  it('answers 201 with the ack, then 200 with the same body on a repeat', async () => {
    const first = await send('amy', 'ben', 'c1');
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ message_id: expect.any(String), chat_id: expect.stringMatching(/^dm-/), seq: 1, timestamp: expect.stringMatching(/Z$/), status: 'sent' });
    const again = await send('amy', 'ben', 'c1');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });

  it('refuses a reused client_msg_id with other content as 409 duplicate_conflict', async () => {
    await send('amy', 'ben', 'c2');
    const other = await send('amy', 'ben', 'c2', { content: 'something else' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('duplicate_conflict');
  });

  it('refuses a sender_id that is not the caller with 403', async () => {
    const r = await send('amy', 'ben', 'c3', { sender_id: 'ben' });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
  });

  it('answers bad input with the protocol codes', async () => {
    expect((await send('amy', 'amy', 'self')).body.error.code).toBe('bad_request');
    expect((await send('amy', 'ben', 'big', { content: 'x'.repeat(16 * 1024 + 1) })).status).toBe(413);
    expect((await send('amy', 'ben', 'bad id!')).status).toBe(400);
    expect((await server.call('amy', 'POST', '/v1/messages', '{"receiver_id":')).status).toBe(400);
    expect((await server.call('amy', 'POST', '/v1/messages', { receiver_id: 'ben' })).body.error.code).toBe('bad_request');
    expect((await server.call('amy', 'POST', '/v1/messages', 'x'.repeat(200_000), { 'content-type': 'application/json' })).status).toBe(413);
  });
});

describe('GET /v1/messages (history)', () => {
  let chatId: string;
  beforeAll(async () => {
    for (let i = 1; i <= 7; i++) chatId = (await send(i % 2 ? 'cal' : 'dot', i % 2 ? 'dot' : 'cal', `h${i}`)).body.chat_id;
  });
  const history = (query: string, as = 'cal') => server.call(as, 'GET', `/v1/messages?chat_id=${chatId}${query}`);

  it('pages newest first with before, oldest first with after, with has_more', async () => {
    const newest = await history('&limit=3');
    expect(newest.body.messages.map((m: { seq: number }) => m.seq)).toEqual([7, 6, 5]);
    expect(newest.body.has_more).toBe(true);
    const before = await history('&before=5&limit=3');
    expect(before.body.messages.map((m: { seq: number }) => m.seq)).toEqual([4, 3, 2]);
    const last = await history('&before=2&limit=3');
    expect(last.body).toMatchObject({ has_more: false });
    expect(last.body.messages.map((m: { seq: number }) => m.seq)).toEqual([1]);
    const after = await history('&after=4&limit=2');
    expect(after.body.messages.map((m: { seq: number }) => m.seq)).toEqual([5, 6]);
    expect(after.body.has_more).toBe(true);
    expect((await history('&after=6')).body).toMatchObject({ has_more: false });
    expect((await history('')).body.messages).toHaveLength(7);
  });

  it('returns protocol message objects', async () => {
    const [m] = (await history('&limit=1')).body.messages;
    expect(m).toEqual({
      message_id: expect.any(String),
      chat_id: chatId,
      seq: 7,
      sender_id: 'cal',
      message_type: 'text',
      content: 'cal:h7',
      client_msg_id: 'h7',
      timestamp: expect.any(String),
      status: 'sent',
    });
  });

  it('answers the text JSON.stringify makes of the history query, as JSON', async () => {
    // The route sends JSON that SQLite writes (read-api/historyJson.int.test.ts pins it field by field).
    const third = (await history('&before=4&limit=1')).body.messages[0];
    expect((await server.call('dot', 'PUT', `/v1/messages/${third.message_id}/reactions/${encodeURIComponent('👍')}`)).status).toBe(204);
    for (const query of ['', '&limit=2', '&before=3', '&after=2&limit=3'])
      for (const as of ['cal', 'dot']) {
        const response = await fetch(`${server.url}/v1/messages?chat_id=${chatId}${query}`, { headers: { authorization: `Bearer ${await server.token(as)}` } });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
        const page = new URLSearchParams(query);
        const expected = server.readModels.queries.history(chatId, as, {
          limit: Number(page.get('limit') ?? 50),
          ...(page.has('before') && { before: Number(page.get('before')) }),
          ...(page.has('after') && { after: Number(page.get('after')) }),
        });
        expect(await response.text()).toBe(JSON.stringify(expected));
      }
  });

  it('sends the pages the reader thread lends in shared memory, and every slot comes back', async () => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = server.readModels.historyJson(chatId, 'cal', { limit: 1 });
      jsonTextOf((await answer)!);
      if (answer instanceof Promise) break;
      if (Date.now() > deadline) throw new Error('the reader thread did not come up');
      await new Promise((r) => setTimeout(r, 20));
    }
    const authorization = `Bearer ${await server.token('cal')}`;
    const expected = JSON.stringify(server.readModels.queries.history(chatId, 'cal', { limit: 50 }));
    const pages = await Promise.all(
      Array.from({ length: 40 }, async () => (await fetch(`${server.url}/v1/messages?chat_id=${chatId}`, { headers: { authorization } })).text()),
    );
    for (const page of pages) expect(page).toBe(expected);
    // Clients that go away before their answer: their slots come back too.
    const { port } = new URL(server.url);
    for (let i = 0; i < 10; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      socket.write(`GET /v1/messages?chat_id=${chatId} HTTP/1.1\r\nhost: x\r\nauthorization: ${authorization}\r\n\r\n`);
      await new Promise((r) => setTimeout(r, i % 2));
      socket.destroy();
    }
    const settled = Date.now() + 5_000;
    while (server.readModels.readerFreeSlots() !== SLOT_COUNT && Date.now() < settled) await new Promise((r) => setTimeout(r, 20));
    expect(server.readModels.readerFreeSlots()).toBe(SLOT_COUNT);
  });

  it('refuses limit out of 1..200, both cursors, or a bad chat id', async () => {
    for (const q of ['&limit=0', '&limit=201', '&before=3&after=1', '&before=-1']) expect((await history(q)).status).toBe(400);
    expect((await server.call('cal', 'GET', '/v1/messages?chat_id=bad%20id')).status).toBe(400);
    expect((await server.call('cal', 'GET', '/v1/messages')).status).toBe(400);
  });

  it('shows the status of one’s own messages: sent, delivered, read', async () => {
    const { body } = await send('eli', 'fay', 's1');
    const mine = async () => (await server.call('eli', 'GET', `/v1/messages?chat_id=${body.chat_id}`)).body.messages[0];
    expect((await mine()).status).toBe('sent');
    // Delivery acks arrive over the WebSocket; here the command stands in for the socket.
    await server.commands.markDelivered({ userId: 'fay', chatId: body.chat_id, seq: 1 });
    expect((await mine()).status).toBe('delivered');
    expect((await server.call('fay', 'POST', `/v1/chats/${body.chat_id}/read`, { seq: 1 })).status).toBe(204);
    expect((await mine()).status).toBe('read');
    // The peer sees no status on messages that are not theirs.
    const theirs = (await server.call('fay', 'GET', `/v1/messages?chat_id=${body.chat_id}`)).body.messages[0];
    expect(theirs.status).toBeUndefined();
  });
});

describe('edits, deletes and reactions', () => {
  it('are visible in history', async () => {
    const { body: ack } = await send('gus', 'hal', 'e1', { content: 'helo' });
    const id = ack.message_id;
    const edited = await server.call('gus', 'PATCH', `/v1/messages/${id}`, { content: 'hello' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ message_id: id, content: 'hello', edited_at: expect.any(String) });
    expect((await server.call('hal', 'PATCH', `/v1/messages/${id}`, { content: 'hijack' })).status).toBe(403);

    expect((await server.call('hal', 'PUT', `/v1/messages/${id}/reactions/${encodeURIComponent('👍')}`)).status).toBe(204);
    expect((await server.call('gus', 'PUT', `/v1/messages/${id}/reactions/${encodeURIComponent('👍')}`)).status).toBe(204);
    expect((await server.call('gus', 'PUT', `/v1/messages/${id}/reactions/${encodeURIComponent('🎉')}`)).status).toBe(204);
    expect((await server.call('gus', 'DELETE', `/v1/messages/${id}/reactions/${encodeURIComponent('🎉')}`)).status).toBe(204);
    const history = async () => (await server.call('hal', 'GET', `/v1/messages?chat_id=${ack.chat_id}`)).body.messages[0];
    expect((await history()).reactions).toEqual({ '👍': ['gus', 'hal'] });

    expect((await server.call('hal', 'DELETE', `/v1/messages/${id}`)).status).toBe(403);
    expect((await server.call('gus', 'DELETE', `/v1/messages/${id}`)).status).toBe(204);
    const deleted = await history();
    expect(deleted).toMatchObject({ seq: 1, deleted: true, content: '' });
    expect(deleted.reactions).toBeUndefined();
    expect((await server.call('gus', 'PATCH', `/v1/messages/${id}`, { content: 'back' })).status).toBe(404);
  });

  it('answers 404 for an unknown message', async () => {
    expect((await server.call('gus', 'PATCH', '/v1/messages/nope', { content: 'x' })).status).toBe(404);
    expect((await server.call('gus', 'DELETE', '/v1/messages/nope')).status).toBe(404);
    expect((await server.call('gus', 'PUT', '/v1/messages/nope/reactions/x')).status).toBe(404);
    expect((await server.call('gus', 'GET', '/v1/messages/nope/receipts')).status).toBe(404);
  });
});

describe('GET /v1/messages/{id}/receipts', () => {
  it('lists every member’s watermarks', async () => {
    const { body: ack } = await send('ida', 'jon', 'r1');
    await server.call('jon', 'POST', `/v1/chats/${ack.chat_id}/read`, { seq: 1 });
    const r = await server.call('ida', 'GET', `/v1/messages/${ack.message_id}/receipts`);
    expect(r.body).toEqual({
      receipts: [
        { user_id: 'ida', delivered_seq: 0, read_seq: 0 },
        { user_id: 'jon', delivered_seq: 1, read_seq: 1 },
      ],
    });
  });
});
