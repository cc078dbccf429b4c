import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.ts';
import { connectWs } from '../testing/wsTestClient.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ CHAT_RATE_MSG_PER_SEC: '1', CHAT_RATE_MSG_BURST: '3' });
});
afterAll(() => server.stop());

const send = (from: string, clientMsgId: string) =>
  server.call(from, 'POST', '/v1/messages', { receiver_id: 'sink', message_type: 'text', content: 'x', client_msg_id: clientMsgId });

describe('the per-user send rate limit', () => {
  it('answers 429 rate_limited with Retry-After past the burst, but never limits a repeat', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await send('spammer', `c${i}`));
    expect(answers.slice(0, 3).map((a) => a.status)).toEqual([201, 201, 201]);
    expect(answers[3]!.status).toBe(429);
    expect(answers[3]!.body.error.code).toBe('rate_limited');
    expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // A repeat of an acknowledged send is answered, not counted.
    const repeat = await send('spammer', 'c0');
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(answers[0]!.body);
    // Nothing was stored for the refused send.
    const history = await server.call('spammer', 'GET', `/v1/messages?chat_id=${answers[0]!.body.chat_id}`);
    expect(history.body.messages).toHaveLength(3);
  });

  it('counts REST and WebSocket sends together', async () => {
    for (let i = 0; i < 3; i++) expect((await send('mixed', `r${i}`)).status).toBe(201);
    const ws = await connectWs(server, 'mixed');
    ws.send({ type: 'message', ref: 'w', data: { receiver_id: 'sink', message_type: 'text', content: 'x', client_msg_id: 'w1' } });
    expect((await ws.next((f) => f.ref === 'w')).error?.code).toBe('rate_limited');
    ws.close();
  });
});
