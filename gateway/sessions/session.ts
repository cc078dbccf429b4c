import type { WebSocket } from 'ws';

/** Close codes of the gateway (protocol section 5 names 4401 and 1009). */
export const CLOSE = {
  authFailed: 4401,
  /** The client does not read fast enough: we stop writing rather than buffer without bound. */
  slowConsumer: 4008,
  goingAway: 1001,
  tooBig: 1009,
} as const;

export type Session = {
  id: string;
  userId: string;
  deviceId: string | null;
  /** Answered the last heartbeat ping (or sent anything) since the previous one. */
  alive: boolean;
  /** Last typing `start` relayed per chat (ms), for the 1-per-2-s limit. Made on first use: most sessions are idle. */
  typingAt?: Map<string, number>;
  /** Per chat, the tail of this session's sends: they are appended in the order received. Made on first use. */
  sendChains?: Map<string, Promise<unknown>>;
  send(frame: object): void;
  /** A frame already serialized: fan-out serializes once for all recipients. */
  sendSerialized(json: string): void;
  ping(): void;
  close(code: number, reason: string): void;
  readonly closed: boolean;
  /** Bytes written but not yet sent: what a slow client costs the server. */
  readonly buffered: number;
};

/**
 * A session over one socket. Writes are refused once the socket holds more than
 * `maxBufferedBytes` unsent: the session is closed with 4008 instead, so a slow
 * client can cost at most that much memory. Its socket is ended for good if the
 * client does not even read the close.
 */
export const createSession = (
  socket: WebSocket,
  init: { id: string; userId: string; deviceId: string | null; maxBufferedBytes: number; terminateAfterMs?: number },
): Session => {
  let closed = false;
  const session: Session = {
    id: init.id,
    userId: init.userId,
    deviceId: init.deviceId,
    alive: true,
    get closed() {
      return closed || socket.readyState !== socket.OPEN;
    },
    get buffered() {
      return socket.bufferedAmount;
    },
    send(frame) {
      session.sendSerialized(JSON.stringify(frame));
    },
    sendSerialized(json) {
      if (session.closed) return;
      if (socket.bufferedAmount > init.maxBufferedBytes) {
        session.close(CLOSE.slowConsumer, 'slow consumer: frames not read');
        return;
      }
      socket.send(json);
    },
    ping() {
      if (!session.closed) socket.ping();
    },
    close(code, reason) {
      if (closed) return;
      closed = true;
      socket.close(code, reason);
      setTimeout(() => socket.terminate(), init.terminateAfterMs ?? 10_000).unref();
    },
  };
  return session;
};
