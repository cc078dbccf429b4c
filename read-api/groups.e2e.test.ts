import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const createGroup = (by: string, name: string, memberIds: string[]) => server.call(by, 'POST', '/v1/groups', { name, member_ids: memberIds });
const groupSend = (by: string, groupId: string, clientMsgId: string) =>
  server.call(by, 'POST', `/v1/groups/${groupId}/messages`, { message_type: 'text', content: `${by} says hi`, client_msg_id: clientMsgId });

describe('groups', () => {
  it('creates a group with the caller as admin', async () => {
    const r = await createGroup('ann', 'Team', ['bob', 'cat']);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      group_id: r.body.chat_id,
      chat_id: expect.stringMatching(/^g-/),
      name: 'Team',
      members: [
        { user_id: 'ann', role: 'admin' },
        { user_id: 'bob', role: 'member' },
        { user_id: 'cat', role: 'member' },
      ],
    });
    expect((await server.call('bob', 'GET', `/v1/groups/${r.body.group_id}`)).body).toEqual(r.body);
  });

  it('lets admins add members, and only admins', async () => {
    const { body: g } = await createGroup('ann', 'Adders', ['bob']);
    const added = await server.call('ann', 'POST', `/v1/groups/${g.group_id}/members`, { user_ids: ['cat', 'dan'] });
    expect(added.status).toBe(200);
    expect(added.body.members.map((m: { user_id: string }) => m.user_id)).toEqual(['ann', 'bob', 'cat', 'dan']);
    const refused = await server.call('bob', 'POST', `/v1/groups/${g.group_id}/members`, { user_ids: ['eve'] });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
  });

  it('lets admins remove members and members leave; a removed member can no longer send or read', async () => {
    const { body: g } = await createGroup('ann', 'Leavers', ['bob', 'cat', 'dan']);
    expect((await server.call('bob', 'DELETE', `/v1/groups/${g.group_id}/members/cat`)).status).toBe(403);
    expect((await server.call('ann', 'DELETE', `/v1/groups/${g.group_id}/members/cat`)).status).toBe(204);
    expect((await server.call('dan', 'DELETE', `/v1/groups/${g.group_id}/members/dan`)).status).toBe(204);
    const after = await server.call('ann', 'GET', `/v1/groups/${g.group_id}`);
    expect(after.body.members.map((m: { user_id: string }) => m.user_id)).toEqual(['ann', 'bob']);
    expect((await groupSend('cat', g.group_id, 'x1')).status).toBe(403);
    expect((await groupSend('dan', g.group_id, 'x2')).status).toBe(403);
    expect((await server.call('dan', 'GET', `/v1/messages?chat_id=${g.group_id}`)).status).toBe(404);
    expect((await groupSend('bob', g.group_id, 'x3')).status).toBe(201);
  });

  it('promotes the longest-standing member when the last admin leaves', async () => {
    const { body: g } = await createGroup('ann', 'Heirs', ['bob', 'cat']);
    await server.call('ann', 'DELETE', `/v1/groups/${g.group_id}/members/ann`);
    expect((await server.call('bob', 'GET', `/v1/groups/${g.group_id}`)).body.members).toEqual([
      { user_id: 'bob', role: 'admin' },
      { user_id: 'cat', role: 'member' },
    ]);
  });

  it('holds at most 500 members: 409 group_full beyond', async () => {
    const many = Array.from({ length: 499 }, (_, i) => `m${i}`);
    const { body: g, status } = await createGroup('ann', 'Full', many);
    expect(status).toBe(201);
    expect(g.members).toHaveLength(500);
    const over = await server.call('ann', 'POST', `/v1/groups/${g.group_id}/members`, { user_ids: ['one-more'] });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('group_full');
    const tooBig = await createGroup('ann', 'TooBig', [...many, 'x500']);
    expect(tooBig.status).toBe(409);
    expect(tooBig.body.error.code).toBe('group_full');
  });

  it('sends to a group with dedup: 201 then 200 with the same body', async () => {
    const { body: g } = await createGroup('ann', 'Senders', ['bob']);
    const first = await groupSend('bob', g.group_id, 'gs1');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ chat_id: g.group_id, seq: 1, status: 'sent' });
    const again = await groupSend('bob', g.group_id, 'gs1');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });

  it('refuses bad input', async () => {
    expect((await createGroup('ann', '', ['bob'])).status).toBe(400);
    expect((await createGroup('ann', 'x', ['bad id'])).status).toBe(400);
    expect((await server.call('ann', 'POST', '/v1/groups', { name: 'x' })).status).toBe(400);
    expect((await server.call('ann', 'GET', '/v1/groups/g-none')).status).toBe(404);
  });
});
