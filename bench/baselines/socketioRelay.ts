/**
 * Baseline: a Socket.IO relay with no persistence (what many teams run today). Same
 * shape as the ws relay: auth `{token}` in the handshake (any token: a JWT names its
 * `sub` unverified, else the token is the user id); event `message` with the protocol's
 * send data and an ack callback answered at once with the protocol's ack data (fake
 * seq); a `message` event with the message object to the other sockets of the chat's
 * members (one room per user). WebSocket transport only. `POST /v1/groups` and
 * `GET /readyz` as in the ws relay. Prints `listening <port>` on stdout.
 */
import http from 'node:http';
import { Server } from 'socket.io';
import { createRelayState, handleRelayHttp, userOfToken, type SendData } from './relayCommon.ts';

const state = createRelayState();

const server = http.createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://relay');
  if (url.pathname.startsWith('/socket.io')) return; // socket.io's own handler answers
  handleRelayHttp(state, request, response);
});

const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, maxHttpBufferSize: 64 * 1024, serveClient: false, cors: { origin: '*' } });

io.use((socket, next) => {
  const token = (socket.handshake.auth as { token?: unknown }).token;
  const user = typeof token === 'string' ? userOfToken(token) : undefined;
  if (!user) return next(new Error('unauthorized'));
  socket.data.user = user;
  next();
});

io.on('connection', (socket) => {
  const user = socket.data.user as string;
  void socket.join(`u:${user}`);
  socket.on('message', (data: SendData, ack?: (reply: unknown) => void) => {
    const route = state.route(user, data ?? {});
    if ('error' in route) return void ack?.({ error: { code: route.error, message: route.error } });
    const message = state.message(user, route.chatId, data);
    ack?.({ data: { client_msg_id: message.client_msg_id, message_id: message.message_id, chat_id: message.chat_id, seq: message.seq, timestamp: message.timestamp, status: 'sent' } });
    for (const member of route.recipients) socket.to(`u:${member}`).emit('message', message);
  });
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
const stop = () => {
  void io.close();
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
