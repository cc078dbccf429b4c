import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalog } from '../domain/errors.ts';
import { startTestServer, type TestServer } from '../testing/testServer.ts';
import { connectWs, settle, type WsTestClient } from '../testing/wsTestClient.ts';
import { propertyRuns } from '../testing/propertyRuns.ts';
import { MAX_FRAGMENTS } from './wsRoute.ts';

let server: TestServer;
let client: WsTestClient;
let foreignChat: string;
beforeAll(async () => {
  server = await startTestServer();
  foreignChat = (await server.call('owner', 'POST', '/v1/groups', { name: 'Not yours', member_ids: ['other'] })).body.group_id;
  client = await connectWs(server, 'fuzzer');
});
afterAll(async () => {
  client.close();
  await server.stop();
});

/** Frames that are each wrong in some way: none may change state or kill the connection. */
const badFrame = () =>
  fc.oneof(
  fc.string({ maxLength: 50 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
  fc.constantFrom('null', '[]', '42', '"text"', '{}', '{"type":7}'),
  fc.record({ type: fc.string({ maxLength: 12 }).filter((t) => !['auth', 'message', 'ack', 'read', 'typing', 'sync', 'presence_subscribe', 'ping'].includes(t)) }).map((f) => JSON.stringify(f)),
  fc
    .record({
      type: fc.constant('message'),
      data: fc.record(
        {
          chat_id: fc.oneof(fc.constant(foreignChat), fc.string({ maxLength: 70 })),
          message_type: fc.oneof(fc.constantFrom('text', 'gif', ''), fc.integer()),
          content: fc.oneof(fc.constant('x'.repeat(16 * 1024 + 1)), fc.integer(), fc.constant(null)),
          client_msg_id: fc.oneof(fc.constant('ok-id'), fc.constant('bad id'), fc.integer()),
        },
        { requiredKeys: [] },
      ),
    })
    .map((f) => JSON.stringify(f)),
  fc.record({ type: fc.constantFrom('ack', 'read'), chat_id: fc.oneof(fc.constant(foreignChat), fc.constant('no-such-chat'), fc.integer()), seq: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double(), fc.string()) }).map((f) => JSON.stringify(f)),
  fc.record({ type: fc.constant('typing'), chat_id: fc.oneof(fc.constant(foreignChat), fc.string({ maxLength: 80 })), state: fc.oneof(fc.constantFrom('start', 'stop', 'dance'), fc.integer()) }).map((f) => JSON.stringify(f)),
  fc.record({ type: fc.constant('sync'), since: fc.oneof(fc.constant('all'), fc.dictionary(fc.string({ maxLength: 5 }), fc.string())), limit: fc.oneof(fc.constant(0), fc.constant(501), fc.string()) }).map((f) => JSON.stringify(f)),
  fc.record({ type: fc.constant('presence_subscribe'), user_ids: fc.oneof(fc.constant('ann'), fc.array(fc.integer(), { maxLength: 3 }), fc.constant(Array.from({ length: 501 }, (_, i) => `u${i}`))) }).map((f) => JSON.stringify(f)),
);

let pings = 0;

describe('bad input over the socket', () => {
  it('gets an error frame with a protocol code, changes nothing and keeps the connection', async () => {
    await fc.assert(
      fc.asyncProperty(badFrame(), async (raw) => {
        const head = await server.store.headPosition();
        const errorsBefore = client.all('error').length;
        client.send(raw);
        const ref = `alive-${++pings}`;
        client.send({ type: 'ping', ref });
        // The connection is still up: the ping is answered (or, once the fuzzer has spent the
        // session's frame budget, refused as rate_limited with its ref, which is the limiter at work).
        const answer = await client.next((f) => f.ref === ref, 5_000);
        expect(answer.type === 'pong' || answer.error?.code === 'rate_limited').toBe(true);
        const errors = client.all('error').slice(errorsBefore);
        for (const e of errors) expect(Object.keys(errorCatalog)).toContain(e.error!.code);
        expect(await server.store.headPosition()).toBe(head);
        client.frames.length = 0; // keep the matcher cheap
      }),
      { numRuns: Math.max(100, Math.floor(propertyRuns / 4)) },
    );
    expect((await server.call(null, 'GET', '/healthz')).status).toBe(200);
  });

  it('answers a known bad frame with its code and the request’s ref', async () => {
    // A fresh session: the fuzzer above may have spent the first one's frame budget.
    const client = await connectWs(server, 'checker');
    const cases: [unknown, string][] = [
      ['{not json', 'bad_request'],
      [{ type: 'teleport', ref: 'r1' }, 'bad_request'],
      [{ type: 'message', ref: 'r2', data: { chat_id: foreignChat, message_type: 'text', content: 'x', client_msg_id: 'c' } }, 'forbidden'],
      [{ type: 'message', ref: 'r3', data: { receiver_id: 'friend', message_type: 'text', content: 'x'.repeat(16 * 1024 + 1), client_msg_id: 'c' } }, 'payload_too_large'],
      [{ type: 'read', ref: 'r4', chat_id: foreignChat, seq: 0 }, 'forbidden'],
    ];
    for (const [frame, code] of cases) {
      const before = client.all('error').length;
      client.send(frame);
      await client.next(() => client.all('error').length > before);
      const error = client.all('error').at(-1)!;
      expect(error.error!.code).toBe(code);
      if (typeof frame === 'object') expect(error.ref).toBe((frame as { ref: string }).ref);
      expect(errorCatalog[code as keyof typeof errorCatalog]).toBeGreaterThanOrEqual(400);
    }
    client.close();
  });

  it('closes the connection with 1008 on a frame split into too many fragments', async () => {
    const c = await connectWs(server, 'fragments');
    for (let i = 0; i < MAX_FRAGMENTS + 5; i++) c.ws.send('x', { fin: false });
    c.ws.send('x', { fin: true });
    expect((await c.closed).code).toBe(1008);
    expect((await server.call(null, 'GET', '/healthz')).status).toBe(200);
  });

  it('closes the connection with 1009 on a frame over 64 KiB', async () => {
    const c = await connectWs(server, 'big');
    c.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(65 * 1024) }));
    expect((await c.closed).code).toBe(1009);
    await settle();
    expect((await server.call(null, 'GET', '/healthz')).status).toBe(200);
  });
});
