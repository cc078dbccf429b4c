import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const send = (from: string, to: string, clientMsgId: string) =>
  server.call(from, 'POST', '/v1/messages', { receiver_id: to, message_type: 'text', content: `${from}:${clientMsgId}`, client_msg_id: clientMsgId });
const inbox = async (as: string, query = '') => (await server.call(as, 'GET', `/v1/chats${query}`)).body;

describe('GET /v1/chats (inbox)', () => {
  it('lists chats by most recent activity with last message, last_seq, read_seq and unread_count', async () => {
    await send('ola', 'pia', 'a1');
    await send('pia', 'ola', 'a2');
    await send('ola', 'quinn', 'b1');
    const { body: g } = await server.call('rex', 'POST', '/v1/groups', { name: 'Club', member_ids: ['ola'] });
    await server.call('rex', 'POST', `/v1/groups/${g.group_id}/messages`, { message_type: 'text', content: 'welcome', client_msg_id: 'w1' });

    const { chats, next_cursor } = await inbox('ola');
    expect(next_cursor).toBeNull();
    expect(chats.map((c: { chat_type: string; peer_id?: string; name?: string }) => c.peer_id ?? c.name)).toEqual(['Club', 'quinn', 'pia']);
    expect(chats[0]).toMatchObject({ chat_type: 'group', name: 'Club', last_seq: 1, read_seq: 0, unread_count: 1, last_message: { content: 'welcome', sender_id: 'rex' } });
    expect(chats[1]).toMatchObject({ chat_type: 'direct', peer_id: 'quinn', last_seq: 1, unread_count: 0 });
    expect(chats[2]).toMatchObject({ chat_type: 'direct', peer_id: 'pia', last_seq: 2, read_seq: 0, unread_count: 1 });
    expect(chats[2].last_message).toMatchObject({ seq: 2, content: 'pia:a2' });
  });

  it('never counts one’s own messages as unread, and the read watermark never moves backwards', async () => {
    await send('sam', 'tom', 's1');
    await send('tom', 'sam', 't1');
    await send('sam', 'tom', 's2');
    const { body } = await send('tom', 'sam', 't2');
    const chat = async (as: string) => (await inbox(as)).chats.find((c: { chat_id: string }) => c.chat_id === body.chat_id);
    expect(await chat('sam')).toMatchObject({ last_seq: 4, read_seq: 0, unread_count: 2 });
    expect(await chat('tom')).toMatchObject({ unread_count: 2 });
    expect((await server.call('sam', 'POST', `/v1/chats/${body.chat_id}/read`, { seq: 3 })).status).toBe(204);
    expect(await chat('sam')).toMatchObject({ read_seq: 3, unread_count: 1 });
    expect((await server.call('sam', 'POST', `/v1/chats/${body.chat_id}/read`, { seq: 1 })).status).toBe(204);
    expect(await chat('sam')).toMatchObject({ read_seq: 3, unread_count: 1 });
    expect((await server.call('sam', 'POST', `/v1/chats/${body.chat_id}/read`, { seq: 4 })).status).toBe(204);
    expect(await chat('sam')).toMatchObject({ read_seq: 4, unread_count: 0 });
    const beyond = await server.call('sam', 'POST', `/v1/chats/${body.chat_id}/read`, { seq: 5 });
    expect(beyond.status).toBe(400);
    expect(beyond.body.error.code).toBe('bad_request');
    expect((await server.call('zed', 'POST', `/v1/chats/${body.chat_id}/read`, { seq: 1 })).status).toBe(403);
  });

  it('pages with limit and cursor without repeats or gaps', async () => {
    for (let i = 0; i < 7; i++) await send('uma', `peer${i}`, `p${i}`);
    const seen: { peer_id: string; updated_at: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { chats: { peer_id: string; updated_at: string }[]; next_cursor: string | null } = await inbox('uma', `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.chats.length).toBeLessThanOrEqual(3);
      seen.push(...page.chats);
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.map((c) => c.peer_id).sort()).toEqual(['peer0', 'peer1', 'peer2', 'peer3', 'peer4', 'peer5', 'peer6']);
    // Most recent first (sends in the same millisecond tie, broken by chat id).
    expect(seen.map((c) => c.updated_at)).toEqual(seen.map((c) => c.updated_at).sort().reverse());
    expect((await server.call('uma', 'GET', '/v1/chats?cursor=garbage')).status).toBe(400);
    expect((await server.call('uma', 'GET', '/v1/chats?limit=0')).status).toBe(400);
  });
});
