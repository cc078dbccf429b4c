import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalog } from '../domain/errors.ts';
import { startTestServer, type TestServer } from '../testing/testServer.ts';
import { propertyRuns } from '../testing/propertyRuns.ts';

let server: TestServer;
let groupId: string;
let messageId: string;
beforeAll(async () => {
  server = await startTestServer();
  groupId = (await server.call('ann', 'POST', '/v1/groups', { name: 'Fuzz', member_ids: ['bob'] })).body.group_id;
  messageId = (await server.call('ann', 'POST', `/v1/groups/${groupId}/messages`, { message_type: 'text', content: 'hi', client_msg_id: 'seed' })).body.message_id;
});
afterAll(() => server.stop());

/** Valid bodies per route; the fuzzer breaks exactly one field of each, so none may succeed. */
const routes = () => [
  { method: 'POST', path: '/v1/messages', body: { receiver_id: 'bob', message_type: 'text', content: 'x', client_msg_id: 'f1' } },
  { method: 'POST', path: `/v1/groups/${groupId}/messages`, body: { message_type: 'text', content: 'x', client_msg_id: 'f2' } },
  { method: 'POST', path: '/v1/groups', body: { name: 'n', member_ids: ['bob'] } },
  { method: 'POST', path: `/v1/groups/${groupId}/members`, body: { user_ids: ['cat'] } },
  { method: 'POST', path: `/v1/chats/${groupId}/read`, body: { seq: 1 } },
  { method: 'PATCH', path: `/v1/messages/${messageId}`, body: { content: 'edited' } },
];

const oddString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\u202e', '\ufeff', ' ', '/', '"', '\\', '😀'), minLength: 1, maxLength: 40 }),
  fc.constant('x'.repeat(70_000)),
  fc.constant('é'.repeat(9_000)),
);
/** A value that is wrong for the field it replaces (types checked below against the original). */
const wrongValue = fc.oneof(oddString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.anything(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));

const breaks = (original: unknown, replacement: unknown) =>
  typeof original !== typeof replacement || Array.isArray(original) !== Array.isArray(replacement) || typeof replacement === 'string';

describe('bad JSON bodies', () => {
  it('always get a 4xx with a protocol error and change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(5),
        fc.oneof(
          fc.record({ kind: fc.constant('drop' as const), field: fc.nat() }),
          fc.record({ kind: fc.constant('replace' as const), field: fc.nat(), value: wrongValue }),
          fc.record({ kind: fc.constant('raw' as const), text: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('{', '[]', 'null', '"x"', '{"a":')) }),
        ),
        async (routeIndex, mutation) => {
          const route = routes()[routeIndex]!;
          const fields = Object.keys(route.body);
          const field = fields['field' in mutation ? mutation.field % fields.length : 0]!;
          let body: unknown = { ...route.body };
          if (mutation.kind === 'drop') delete (body as Record<string, unknown>)[field];
          if (mutation.kind === 'replace') {
            const original = (route.body as Record<string, unknown>)[field];
            // A string field given another string is only wrong if the string is not a valid value: keep those aside.
            fc.pre(breaks(original, mutation.value) && !(typeof mutation.value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(mutation.value)));
            fc.pre(!(field === 'content' && typeof mutation.value === 'string' && mutation.value.length > 0 && mutation.value.length < 5000));
            fc.pre(!(field === 'name' && typeof mutation.value === 'string' && mutation.value.trim().length > 0 && mutation.value.length <= 128));
            (body as Record<string, unknown>)[field] = mutation.value;
          }
          if (mutation.kind === 'raw') {
            fc.pre(mutation.text.trim() !== '' && !mutation.text.trim().startsWith('{"'));
            body = mutation.text;
          }
          const head = await server.store.headPosition();
          const r = await server.call('ann', route.method, route.path, typeof body === 'string' ? body : JSON.stringify(body), {
            'content-type': 'application/json',
          });
          expect(r.status, JSON.stringify(r.body)).toBeGreaterThanOrEqual(400);
          expect(r.status).toBeLessThan(500);
          expect(Object.keys(errorCatalog)).toContain(r.body.error.code);
          expect(errorCatalog[r.body.error.code as keyof typeof errorCatalog]).toBe(r.status);
          expect(await server.store.headPosition()).toBe(head);
        },
      ),
      { numRuns: Math.max(100, Math.floor(propertyRuns / 2)) },
    );
    // Still serving.
    expect((await server.call(null, 'GET', '/healthz')).status).toBe(200);
  });
});
