import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.ts';
import { connectWs } from '../testing/wsTestClient.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ CHAT_WS_PING_MS: '200', CHAT_PRESENCE_GRACE_MS: '200' });
});
afterAll(() => server.stop());

describe('heartbeat', () => {
  it('drops a session that stops answering pings, and its user goes offline after the grace period', async () => {
    await server.call('pia', 'POST', '/v1/messages', { receiver_id: 'ren', message_type: 'text', content: 'hi', client_msg_id: 'h' });
    const watcher = await connectWs(server, 'pia');
    // A client whose network died: it never answers a ping.
    const silent = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws?token=${await server.token('ren')}`, { autoPong: false });
    await new Promise((r) => silent.on('open', r));
    await watcher.next((f) => f.type === 'presence' && f.data.user_id === 'ren' && f.data.status === 'online');
    const started = Date.now();
    const offline = await watcher.next((f) => f.type === 'presence' && f.data.user_id === 'ren' && f.data.status === 'offline', 3_000);
    // Two ping intervals at most to notice, then the grace period.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(offline.data.last_seen).toEqual(expect.any(String));
    // A session that does answer stays.
    expect([...server.gateway.sessions.of('pia')].every((s) => !s.closed)).toBe(true);
    watcher.close();
    silent.terminate();
  });
});
