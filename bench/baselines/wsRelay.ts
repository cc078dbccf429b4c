/**
 * Baseline: a bare `ws` relay with no persistence that speaks the subset of protocol v1
 * the benchmarks use, so the same client code drives it and the project:
 * `GET /v1/ws?token=` (any token: a JWT names its `sub` unverified, anything else is the
 * user id), `message` frame → `ack` at once with a fake per-chat seq, and a `message`
 * frame to every other socket of the chat's members; `ping` → `pong`;
 * `POST /v1/groups {name, member_ids}` (bearer token) for the group scenario;
 * `GET /readyz`. Run as its own process: prints `listening <port>` on stdout.
 */
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearer, createRelayState, handleRelayHttp, userOfToken, type SendData } from './relayCommon.ts';

const state = createRelayState();
const sockets = new Map<string, Set<WebSocket>>();

const server = http.createServer((request, response) => {
  handleRelayHttp(state, request, response);
});

const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });

server.on('upgrade', (request, socket, head) => {
  const url = new URL(request.url ?? '/', 'http://relay');
  const user = url.pathname === '/v1/ws' ? userOfToken(url.searchParams.get('token') ?? bearer(request.headers.authorization)) : undefined;
  if (!user) {
    socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(request, socket, head, (ws) => {
    let mine = sockets.get(user);
    if (!mine) sockets.set(user, (mine = new Set()));
    mine.add(ws);
    ws.on('close', () => {
      mine.delete(ws);
      if (mine.size === 0) sockets.delete(user);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (raw) => {
      let frame: { type?: string; ref?: string; data?: SendData };
      try {
        frame = JSON.parse(raw.toString()) as typeof frame;
      } catch {
        ws.send(JSON.stringify({ type: 'error', error: { code: 'bad_request', message: 'malformed JSON' } }));
        return;
      }
      if (frame.type === 'ping') return void ws.send(JSON.stringify({ type: 'pong', ref: frame.ref }));
      if (frame.type !== 'message' || !frame.data) return; // acks, reads, typing: ignored
      const route = state.route(user, frame.data);
      if ('error' in route) {
        ws.send(JSON.stringify({ type: 'error', ref: frame.ref, error: { code: route.error, message: route.error } }));
        return;
      }
      const message = state.message(user, route.chatId, frame.data);
      ws.send(
        JSON.stringify({
          type: 'ack',
          ref: frame.ref,
          data: { client_msg_id: message.client_msg_id, message_id: message.message_id, chat_id: message.chat_id, seq: message.seq, timestamp: message.timestamp, status: 'sent' },
        }),
      );
      const text = JSON.stringify({ type: 'message', data: message });
      for (const member of route.recipients) {
        const targets = sockets.get(member);
        if (targets) for (const s of targets) if (s !== ws) s.send(text);
      }
    });
  });
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
const stop = () => {
  for (const set of sockets.values()) for (const s of set) s.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
