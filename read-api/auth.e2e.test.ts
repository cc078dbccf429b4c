import { SignJWT, UnsecuredJWT } from 'jose';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.ts';

let server: TestServer;
let secret: Uint8Array;
beforeAll(async () => {
  server = await startTestServer();
  secret = new TextEncoder().encode(readFileSync(join(server.dataDir, 'jwt-secret'), 'utf8').trim());
});
afterAll(() => server.stop());

const sign = (key: Uint8Array, claims: { aud?: string; exp?: number | null; sub?: string } = {}) => {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.sub ?? 'ann').setAudience(claims.aud ?? 'chat');
  if (claims.exp !== null) jwt.setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600);
  return jwt.sign(key);
};
const withToken = (token: string, path = '/v1/chats') => server.call(null, 'GET', path, undefined, { authorization: `Bearer ${token}` });

describe('access tokens', () => {
  it('accepts a valid HS256 token', async () => {
    expect((await withToken(await sign(secret))).status).toBe(200);
  });

  it.each([
    ['alg none', async () => new UnsecuredJWT({}).setSubject('ann').setAudience('chat').setExpirationTime('10m').encode()],
    ['a wrong key', async () => sign(new TextEncoder().encode('not-the-server-secret-at-all'))],
    ['a wrong audience', async () => sign(secret, { aud: 'someone-else' })],
    ['an expired exp', async () => sign(secret, { exp: Math.floor(Date.now() / 1000) - 60 })],
    ['no exp', async () => sign(secret, { exp: null })],
    ['an invalid subject', async () => sign(secret, { sub: 'has space' })],
    ['garbage', async () => 'not.a.jwt'],
  ])('refuses %s with 401 unauthorized', async (_why, make) => {
    const r = await withToken(await make());
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  });

  it('refuses a missing token on every /v1 route but the dev token', async () => {
    for (const [method, path] of [
      ['GET', '/v1/chats'],
      ['GET', '/v1/messages?chat_id=x'],
      ['POST', '/v1/messages'],
      ['POST', '/v1/groups'],
      ['GET', '/v1/presence?user_ids=a'],
      ['GET', '/v1/admin/projections'],
    ] as const) {
      expect((await server.call(null, method, path, method === 'POST' ? {} : undefined)).status).toBe(401);
    }
    expect((await server.call(null, 'POST', '/v1/dev/token', { user_id: 'ann' })).status).toBe(200);
  });

  it('keeps the admin routes to the admin role', async () => {
    expect((await server.call('ann', 'GET', '/v1/admin/projections')).status).toBe(403);
    const admin = await server.call('admin', 'GET', '/v1/admin/projections');
    expect(admin.status).toBe(200);
    expect(admin.body.projections.map((p: { name: string }) => p.name).sort()).toEqual(['history', 'inbox', 'membership', 'receipts']);
    for (const p of admin.body.projections) expect(p).toMatchObject({ version: expect.any(Number), checkpoint: expect.any(Number), lag: expect.any(Number) });
  });
});

describe('non-members', () => {
  let group: { group_id: string };
  let message: { message_id: string; chat_id: string };
  beforeAll(async () => {
    group = (await server.call('ann', 'POST', '/v1/groups', { name: 'Private', member_ids: ['bob'] })).body;
    message = (await server.call('ann', 'POST', `/v1/groups/${group.group_id}/messages`, { message_type: 'text', content: 'secret', client_msg_id: 'p1' })).body;
  });
  const noContent = (body: unknown) => expect(JSON.stringify(body)).not.toContain('secret');

  it('never see history, group info or receipts (404)', async () => {
    for (const path of [`/v1/messages?chat_id=${group.group_id}`, `/v1/groups/${group.group_id}`, `/v1/messages/${message.message_id}/receipts`]) {
      const r = await server.call('eve', 'GET', path);
      expect(r.status).toBe(404);
      noContent(r.body);
    }
  });

  it('cannot write: send, edit, delete, react, read (403)', async () => {
    const attempts = [
      server.call('eve', 'POST', `/v1/groups/${group.group_id}/messages`, { message_type: 'text', content: 'hi', client_msg_id: 'e1' }),
      server.call('eve', 'PATCH', `/v1/messages/${message.message_id}`, { content: 'x' }),
      server.call('eve', 'DELETE', `/v1/messages/${message.message_id}`),
      server.call('eve', 'PUT', `/v1/messages/${message.message_id}/reactions/x`),
      server.call('eve', 'DELETE', `/v1/messages/${message.message_id}/reactions/x`),
      server.call('eve', 'POST', `/v1/chats/${group.group_id}/read`, { seq: 1 }),
      server.call('eve', 'POST', `/v1/groups/${group.group_id}/members`, { user_ids: ['eve'] }),
    ];
    for (const r of await Promise.all(attempts)) {
      expect(r.status).toBe(403);
      noContent(r.body);
    }
    const history = await server.call('bob', 'GET', `/v1/messages?chat_id=${group.group_id}`);
    expect(history.body.messages).toHaveLength(1);
    expect(history.body.messages[0]).toMatchObject({ content: 'secret' });
    expect(history.body.messages[0].reactions).toBeUndefined();
  });

  it('see no presence of users they share no chat with', async () => {
    const r = await server.call('eve', 'GET', '/v1/presence?user_ids=ann,bob,eve');
    expect(r.body.presence.map((p: { user_id: string }) => p.user_id)).toEqual(['eve']);
    const member = await server.call('bob', 'GET', '/v1/presence?user_ids=ann,eve');
    expect(member.body.presence).toEqual([{ user_id: 'ann', status: 'offline', last_seen: null }]);
  });
});
