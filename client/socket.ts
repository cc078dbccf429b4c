/**
 * The slice of the WebSocket API the SDK uses: the browser's `WebSocket` and the
 * `ws` package's both fit, so Node apps and tests inject `ws` and browsers need
 * nothing. Handler parameters are loose (`any`) because the two implementations
 * type their event objects differently; the SDK reads only `data`, `code`, `reason`.
 */
export type SocketLike = {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /* eslint-disable @typescript-eslint/no-explicit-any */
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  /* eslint-enable @typescript-eslint/no-explicit-any */
};

export type WebSocketConstructor = new (url: string) => SocketLike;

export const OPEN = 1;

export const defaultWebSocket = (): WebSocketConstructor => {
  const ctor = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!ctor) throw new Error('no global WebSocket: pass one in the options (in Node: `import { WebSocket } from "ws"`)');
  return ctor;
};

/** Drops a socket now, without waiting for a close handshake a dead peer will never answer. */
export const abandon = (socket: SocketLike) => {
  socket.onopen = socket.onmessage = socket.onclose = null;
  // Errors after this point (e.g. `ws` failing a close on a half-open socket) are expected.
  socket.onerror = () => {};
  const terminate = (socket as { terminate?: () => void }).terminate;
  try {
    if (typeof terminate === 'function') terminate.call(socket);
    else socket.close(1000);
  } catch {
    /* already closed, or still connecting in a browser: nothing to do */
  }
};
