import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../testing/testServer.ts';

const openSocket = async (url: string) => {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (chunk) => (received += chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, closed, received: () => received };
};

/** node:http would hold an unused connection for its 60 s headers timeout. */
const withinSeconds = <T>(promise: Promise<T>, seconds: number) =>
  Promise.race([promise, sleep(seconds * 1000).then(() => Promise.reject(new Error(`not done within ${seconds} s`)))]);

describe('graceful shutdown', () => {
  it('cuts a connection that never sent a request once the grace is over', async () => {
    const server = await startTestServer({ CHAT_SHUTDOWN_GRACE_MS: '200' });
    const idle = await openSocket(server.url);
    await withinSeconds(server.stop(), 20);
    await withinSeconds(idle.closed, 5);
    expect(idle.received()).toBe('');
  });

  it('answers a request already in flight when the stop begins, then closes its connection', async () => {
    const server = await startTestServer({ CHAT_SHUTDOWN_GRACE_MS: '10000' });
    const client = await openSocket(server.url);
    const body = JSON.stringify({ user_id: 'ann' });
    client.socket.write(`POST /v1/dev/token HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    await sleep(100);
    const stopped = server.stop();
    await sleep(200);
    client.socket.write(body.slice(5));
    // The grace is 10 s: done well before it means the answered connection was closed, not cut.
    await withinSeconds(Promise.all([stopped, client.closed]), 5);
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(client.received()).toContain('"token":');
  });
});
