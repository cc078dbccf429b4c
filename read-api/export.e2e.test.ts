import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.ts';
import { verifyExport } from './export/manifest.ts';

let server: TestServer;
let chatId: string;
beforeAll(async () => {
  server = await startTestServer();
  const g = (await server.call('ann', 'POST', '/v1/groups', { name: 'Audit', member_ids: ['bob'] })).body;
  chatId = g.group_id;
  for (let i = 0; i < 5; i++)
    await server.call(i % 2 ? 'bob' : 'ann', 'POST', `/v1/groups/${chatId}/messages`, { message_type: 'text', content: `m${i}`, client_msg_id: `a${i}` });
  await server.call('bob', 'POST', `/v1/chats/${chatId}/read`, { seq: 5 });
  await server.call('cat', 'POST', '/v1/messages', { receiver_id: 'dan', message_type: 'text', content: 'elsewhere', client_msg_id: 'x' });
});
afterAll(() => server.stop());

const exportOf = async (query: string) => {
  const r = await fetch(`${server.url}/v1/admin/export?${query}`, { headers: { authorization: `Bearer ${await server.token('admin', ['admin'])}` } });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
};

describe('GET /v1/admin/export', () => {
  it('exports a chat as NDJSON in log order with a signed manifest that verifies', async () => {
    const r = await exportOf(`chat_id=${chatId}`);
    expect(r.status).toBe(200);
    expect(r.type).toContain('application/x-ndjson');
    const lines = r.text.trim().split('\n').map((l) => JSON.parse(l));
    const events = lines.slice(0, -1);
    expect(events.map((e) => e.type)).toEqual(['ChatCreated', ...Array(5).fill('MessageSent'), 'ReadUpTo']);
    expect(events.map((e) => e.position)).toEqual([...events.map((e) => e.position)].sort((a, b) => a - b));
    const verified = verifyExport(r.text);
    expect(verified.ok).toBe(true);
    if (verified.ok) expect(verified.manifest).toMatchObject({ count: 7, streams: { [`chat-${chatId}`]: { first_revision: 0, last_revision: 5, count: 6 } } });
  });

  it('detects a changed, dropped or re-signed line', async () => {
    const { text } = await exportOf(`chat_id=${chatId}`);
    expect(verifyExport(text.replace('"m3"', '"m4"'))).toMatchObject({ ok: false });
    const lines = text.trim().split('\n');
    expect(verifyExport([...lines.slice(0, 2), ...lines.slice(3)].join('\n'))).toMatchObject({ ok: false });
    const manifest = JSON.parse(lines.at(-1)!);
    expect(verifyExport([...lines.slice(0, -1), JSON.stringify({ ...manifest, count: 6 })].join('\n'))).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('exports what concerns a user, and honours from/to positions', async () => {
    const events = (await exportOf('user_id=bob')).text.trim().split('\n').slice(0, -1).map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(['ChatCreated', 'MessageSent', 'MessageSent', 'ReadUpTo']);
    expect(JSON.stringify(events)).not.toContain('elsewhere');
    const all = (await exportOf(`chat_id=${chatId}`)).text.trim().split('\n').slice(0, -1).map((l) => JSON.parse(l));
    const window = (await exportOf(`chat_id=${chatId}&from=${all[2].position}&to=${all[4].position}`)).text.trim().split('\n').slice(0, -1);
    expect(window.map((l) => JSON.parse(l).position)).toEqual(all.slice(2, 5).map((e) => e.position));
  });

  it('is admins only and refuses bad filters', async () => {
    expect((await server.call('ann', 'GET', `/v1/admin/export?chat_id=${chatId}`)).status).toBe(403);
    expect((await server.call('admin', 'GET', '/v1/admin/export')).status).toBe(400);
    expect((await server.call('admin', 'GET', `/v1/admin/export?chat_id=${chatId}&user_id=ann`)).status).toBe(400);
    expect((await server.call('admin', 'GET', `/v1/admin/export?chat_id=${chatId}&from=yesterday`)).status).toBe(400);
  });
});
