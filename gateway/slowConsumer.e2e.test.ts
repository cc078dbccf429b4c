import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.ts';
import { connectWs, settle } from '../testing/wsTestClient.ts';
import { CLOSE } from './sessions/session.ts';

let server: TestServer;
const MAX_BUFFERED = 256 * 1024;
beforeAll(async () => {
  server = await startTestServer({ CHAT_WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED) });
});
afterAll(() => server.stop());

describe('a slow consumer', () => {
  it('is cut off with 4008 while memory stays bounded, and others keep receiving', async () => {
    const { body: g } = await server.call('flood', 'POST', '/v1/groups', { name: 'Flood', member_ids: ['slow', 'fast'] });
    const slow = await connectWs(server, 'slow');
    const fast = await connectWs(server, 'fast');
    // Stop reading: the kernel buffers fill, then the server's socket buffer grows.
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    const content = 'x'.repeat(15_000);
    const [slowSession] = server.gateway.sessions.of('slow');
    let peakBuffered = 0;
    const MESSAGES = 1_500; // ≈ 22 MB of frames for the slow client
    const fastCount = () => fast.all('message').length;
    for (let i = 0; i < MESSAGES; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          server.commands.sendMessage({ senderId: 'flood', chatId: g.group_id, clientMsgId: `f${i + j}`, messageType: 'text', content }),
        ),
      );
      peakBuffered = Math.max(peakBuffered, slowSession!.buffered);
      // The flood goes at the pace the fast client reads: it shares this process with the
      // server, and on a busy machine it fell 17 frames (the limit) behind and was cut off too.
      const deadline = Date.now() + 10_000;
      while (fastCount() < i + 50 && Date.now() < deadline) await settle(5);
    }
    await settle(300);
    // Cut off: the server writes nothing more to it (its socket goes once the close is read or times out).
    expect([...server.gateway.sessions.of('slow')].every((s) => s.closed)).toBe(true);

    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const { code } = await slow.closed;
    expect(code).toBe(CLOSE.slowConsumer);
    // The flood was 22 MB for the slow client alone; what the server held for it stayed within the limit plus one frame.
    expect(peakBuffered).toBeGreaterThan(0);
    expect(peakBuffered).toBeLessThanOrEqual(MAX_BUFFERED + 16 * 1024);
    expect(fastCount()).toBe(MESSAGES);
    expect([...server.gateway.sessions.of('fast')].some((s) => !s.closed)).toBe(true);
    fast.close();
  });
});
