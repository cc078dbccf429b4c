import WebSocket from 'ws';
import type { TestServer } from './testServer.ts';

export type Frame = { type: string; ref?: string; data?: any; error?: { code: string; message: string } };

export type WsTestClient = {
  ws: WebSocket;
  frames: Frame[];
  send(frame: unknown): void;
  /** The first frame (already received or coming) matching, within `timeoutMs`. */
  next(match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Frames of a type received so far. */
  all(type: string): Frame[];
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
};

/** A raw protocol client for gateway tests: every frame it receives is kept, in order. */
export const connectWs = async (
  server: Pick<TestServer, 'url' | 'token'>,
  userId: string,
  { auth = 'query', deviceId }: { auth?: 'query' | 'header' | 'frame' | 'none'; deviceId?: string } = {},
): Promise<WsTestClient> => {
  const token = await server.token(userId);
  const params = new URLSearchParams();
  if (auth === 'query') params.set('token', token);
  if (deviceId) params.set('device_id', deviceId);
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws?${params}`, auth === 'header' ? { headers: { authorization: `Bearer ${token}` } } : {});
  const frames: Frame[] = [];
  const waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as Frame;
    frames.push(frame);
    for (const w of [...waiters]) if (w.match(frame)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(frame);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const client: WsTestClient = {
    ws,
    frames,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    next(match, timeoutMs = 5_000) {
      const found = frames.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-5))}`)), timeoutMs);
        waiters.push({ match, resolve: (f) => (clearTimeout(timer), resolve(f)) });
      });
    },
    all: (type) => frames.filter((f) => f.type === type),
    closed,
    close: () => ws.close(),
  };
  if (auth === 'frame') {
    client.send({ type: 'auth', token });
    await client.next((f) => f.type === 'auth_ok');
  }
  return client;
};

export const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));
