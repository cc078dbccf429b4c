import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ CHAT_METRICS_TOKEN: 'scrape-me' });
});
afterAll(() => server.stop());

describe('operations', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await server.call(null, 'GET', '/healthz')).status).toBe(200);
    await server.readModels.ready; // caught up and the read-model writer thread up: a few hundred ms after start
    expect((await server.call(null, 'GET', '/readyz')).body).toEqual({ status: 'ready' });
  });

  it('serves Prometheus metrics behind CHAT_METRICS_TOKEN: requests, latencies, appends, projection lag', async () => {
    await server.call('ann', 'POST', '/v1/messages', { receiver_id: 'bob', message_type: 'text', content: 'x', client_msg_id: 'm' });
    expect((await server.call(null, 'GET', '/metrics')).status).toBe(401);
    const r = await server.call(null, 'GET', '/metrics', undefined, { authorization: 'Bearer scrape-me' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    for (const name of ['chat_http_requests_total', 'chat_http_request_duration_seconds_bucket', 'chat_events_appended_total', 'chat_projection_lag_events'])
      expect(r.body).toContain(name);
    expect(r.body).toMatch(/chat_http_requests_total\{method="POST",route="\/v1\/messages",status="201"\} 1/);
    expect(r.body).toMatch(/chat_events_appended_total 2/); // ChatCreated + MessageSent
  });

  it('documents every REST route of protocol section 4 in /openapi.json', async () => {
    const { body } = await server.call(null, 'GET', '/openapi.json');
    expect(body.openapi).toMatch(/^3\./);
    const routes = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    for (const route of [
      'POST /v1/messages',
      'POST /v1/groups',
      'GET /v1/groups/{id}',
      'POST /v1/groups/{id}/members',
      'DELETE /v1/groups/{id}/members/{user_id}',
      'POST /v1/groups/{id}/messages',
      'GET /v1/messages',
      'GET /v1/chats',
      'POST /v1/chats/{chat_id}/read',
      'PUT /v1/messages/{message_id}/reactions/{emoji}',
      'DELETE /v1/messages/{message_id}/reactions/{emoji}',
      'PATCH /v1/messages/{message_id}',
      'DELETE /v1/messages/{message_id}',
      'GET /v1/messages/{message_id}/receipts',
      'GET /v1/presence',
      'POST /v1/dev/token',
      'GET /v1/admin/projections',
      'GET /v1/admin/export',
    ])
      expect(routes).toContain(route);
    expect(body.paths['/v1/messages'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['receiver_id', 'message_type', 'content', 'client_msg_id']),
    );
  });
});
