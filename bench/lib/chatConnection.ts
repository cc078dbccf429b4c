/**
 * One benchmark client connection to a chat target, the same code for the project and
 * the bare ws relay (protocol v1 frames over `ws`: `?token=` auth at the upgrade,
 * `message` → `ack` | `error`, `message` frames in), and the same shape over
 * socket.io-client for the Socket.IO relay (event `message` with an ack callback).
 * Deliberately thin (no SDK bookkeeping, no delivered acks): the load generator shares
 * the machine with the server and must stay light.
 */
import { WebSocket } from 'ws';
import { io, type Socket } from 'socket.io-client';
import type { TargetKind } from './targets.ts';

export type SendFrameData = { chat_id?: string; receiver_id?: string; message_type: 'text'; content: string; client_msg_id: string };
/** 200: acknowledged; otherwise the error code, or `closed`. */
export type SendOutcome = 200 | string;

export type ChatConnection = {
  send(data: SendFrameData): Promise<SendOutcome>;
  close(): void;
  readonly open: boolean;
};

export type ConnectOptions = {
  kind: TargetKind;
  /** http://host:port of the target. */
  url: string;
  token: string;
  localAddress?: string;
  /** Content of every `message` delivered to this connection. */
  onDeliver: (content: string) => void;
  onClose?: (code: number) => void;
  timeoutMs?: number;
};

let refs = 0;

const connectWs = (o: ConnectOptions): Promise<ChatConnection> =>
  new Promise((resolve, reject) => {
    const url = `${o.url.replace(/^http/, 'ws')}/v1/ws?token=${encodeURIComponent(o.token)}`;
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: o.timeoutMs ?? 30_000, ...(o.localAddress && { localAddress: o.localAddress }) });
    const pending = new Map<string, (outcome: SendOutcome) => void>();
    let opened = false;
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { type: string; ref?: string; data?: { content?: string }; error?: { code?: string } };
      if (frame.type === 'message') return void (typeof frame.data?.content === 'string' && o.onDeliver(frame.data.content));
      if (frame.type === 'ack' || frame.type === 'error') {
        const done = frame.ref === undefined ? undefined : pending.get(frame.ref);
        if (!done) return;
        pending.delete(frame.ref!);
        done(frame.type === 'ack' ? 200 : (frame.error?.code ?? 'error'));
      }
    });
    socket.once('open', () => {
      opened = true;
      resolve({
        get open() {
          return socket.readyState === WebSocket.OPEN;
        },
        send: (data) =>
          new Promise<SendOutcome>((done) => {
            if (socket.readyState !== WebSocket.OPEN) return done('closed');
            const ref = `r${++refs}`;
            pending.set(ref, done);
            socket.send(JSON.stringify({ type: 'message', ref, data }));
          }),
        close: () => socket.terminate(),
      });
    });
    socket.on('unexpected-response', (_req, res) => {
      socket.terminate();
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
    });
    socket.on('error', (e) => {
      if (!opened) reject(e);
    });
    socket.on('close', (code) => {
      for (const done of pending.values()) done('closed');
      pending.clear();
      if (opened) o.onClose?.(code);
    });
  });

const connectSocketIo = (o: ConnectOptions): Promise<ChatConnection> =>
  new Promise((resolve, reject) => {
    const socket: Socket = io(o.url, {
      transports: ['websocket'],
      auth: { token: o.token },
      reconnection: false,
      forceNew: true,
      timeout: o.timeoutMs ?? 30_000,
      ...(o.localAddress && { localAddress: o.localAddress }),
    } as unknown as Parameters<typeof io>[1]);
    const pending = new Set<(outcome: SendOutcome) => void>();
    let opened = false;
    socket.on('message', (message: { content?: string }) => typeof message?.content === 'string' && o.onDeliver(message.content));
    socket.once('connect', () => {
      opened = true;
      resolve({
        get open() {
          return socket.connected;
        },
        send: (data) =>
          new Promise<SendOutcome>((done) => {
            if (!socket.connected) return done('closed');
            pending.add(done);
            socket.emit('message', data, (reply: { data?: unknown; error?: { code?: string } }) => {
              pending.delete(done);
              done(reply?.data ? 200 : (reply?.error?.code ?? 'error'));
            });
          }),
        close: () => socket.disconnect(),
      });
    });
    socket.once('connect_error', (e) => {
      if (!opened) reject(e);
    });
    socket.on('disconnect', () => {
      for (const done of pending) done('closed');
      pending.clear();
      if (opened) o.onClose?.(1006);
    });
  });

export const connectChat = (o: ConnectOptions): Promise<ChatConnection> => (o.kind === 'socketio' ? connectSocketIo(o) : connectWs(o));

/**
 * The content of a benchmark message: its intended send time (epoch ms) and whether the
 * sender counts it as measured (so sender and receivers agree exactly), padded to `bytes`.
 */
export const stampContent = (intendedEpochMs: number, measured: boolean, bytes: number): string => {
  const head = `b|${intendedEpochMs.toFixed(3)}|${measured ? 'm' : 'w'}|`;
  return head.length >= bytes ? head : head + 'x'.repeat(bytes - head.length);
};

/** The intended send time in a stamped content (NaN if none), and whether it is measured. */
export const stampOf = (content: string): { intended: number; measured: boolean } => {
  if (!content.startsWith('b|')) return { intended: Number.NaN, measured: false };
  const end = content.indexOf('|', 2);
  return { intended: Number(content.slice(2, end)), measured: content.charCodeAt(end + 1) === 109 /* m */ };
};
