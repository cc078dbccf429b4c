import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { RawData, WebSocket } from 'ws';
import { badRequest, rateLimited } from '../domain/errors.ts';
import { errorBody } from '../read-api/errorHandler.ts';
import { bearerOf, type Caller, type Tokens } from '../read-api/tokens.ts';
import { envelopeSchema, frameSchemas, isFrameType } from './frames.ts';
import { errorFrame, frameHandlers, type FrameDeps } from './frameHandlers.ts';
import { CLOSE, createSession, type Session } from './sessions/session.ts';
import type { SessionRegistry } from './sessions/sessionRegistry.ts';

export const MAX_FRAME_BYTES = 64 * 1024;
/** A frame split into more pieces than this is closed (1008): tiny fragments cost per piece, not per byte. */
export const MAX_FRAGMENTS = 64;
/** Frames per second a session may send, sends aside, before they are refused (bad input floods included). */
const FRAME_RATE = { perSecond: 200, burst: 400 };

export type WsOptions = {
  tokens: Tokens;
  sessions: SessionRegistry;
  frameDeps: FrameDeps;
  authTimeoutMs: number;
  maxBufferedBytes: number;
  originAllowed: (origin: string | undefined, host: string | undefined) => boolean;
  onOpen: (session: Session) => void;
  onClose: (session: Session) => void;
};

declare module 'fastify' {
  interface FastifyRequest {
    wsCaller?: Caller;
  }
}

const parseFrame = (raw: RawData, isBinary: boolean) => {
  if (isBinary) throw badRequest('frames are JSON text');
  let json: unknown;
  try {
    json = JSON.parse(raw.toString());
  } catch {
    throw badRequest('malformed JSON');
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) throw badRequest('a frame is an object with a string type');
  const { type, ref } = envelope.data;
  if (!isFrameType(type)) throw Object.assign(badRequest(`unknown frame type ${JSON.stringify(type)}`), { ref });
  const body = frameSchemas[type].safeParse(json);
  if (!body.success) {
    const issue = body.error.issues[0];
    throw Object.assign(badRequest(`${type}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`), { ref });
  }
  return { type, ref, frame: body.data };
};

/**
 * `GET /v1/ws`: auth by bearer header or `?token=` at the upgrade (401 refuses it), or
 * a first `auth` frame within the timeout (else close 4401). Frames are read from the
 * moment the socket opens, so nothing sent right after the upgrade is lost.
 */
export const wsRoute: FastifyPluginAsync<WsOptions> = async (app, o) => {
  // Limits set explicitly rather than left to ws' defaults: size (1009), fragments (1008),
  // no compression (a small compressed frame can inflate to far more than it cost to send).
  await app.register(websocket, {
    options: { maxPayload: MAX_FRAME_BYTES, maxFragments: MAX_FRAGMENTS, perMessageDeflate: false, skipUTF8Validation: false },
  });

  const authenticateUpgrade = async (request: FastifyRequest<{ Querystring: { token?: string } }>, reply: import('fastify').FastifyReply) => {
    if (!o.originAllowed(request.headers.origin, request.headers.host)) return reply.code(403).send(errorBody('forbidden', 'origin not allowed'));
    const token = bearerOf(request.headers.authorization) ?? request.query.token;
    if (token === undefined) return;
    try {
      request.wsCaller = await o.tokens.verify(token);
    } catch {
      return reply.code(401).send(errorBody('unauthorized', 'invalid or expired access token'));
    }
  };

  app.get<{ Querystring: { token?: string; device_id?: string } }>('/v1/ws', { websocket: true, onRequest: authenticateUpgrade, schema: { hide: true } }, (socket: WebSocket, request) => {
    const deviceId = typeof request.query.device_id === 'string' ? request.query.device_id.slice(0, 64) : null;
    let session: Session | undefined;
    let pendingAuth: RawData[] | undefined; // frames that arrived while the first-frame token was being checked
    let tokens = FRAME_RATE.burst;
    let refilledAt = performance.now();

    const start = (caller: Caller) => {
      session = createSession(socket, { id: randomUUID(), userId: caller.userId, deviceId, maxBufferedBytes: o.maxBufferedBytes });
      o.sessions.add(session);
      o.onOpen(session);
    };

    /** Frames other than sends spend from the session's frame budget; sends have their own per-user limit. */
    const spendFrameToken = () => {
      const now = performance.now();
      tokens = Math.min(FRAME_RATE.burst, tokens + ((now - refilledAt) / 1000) * FRAME_RATE.perSecond);
      refilledAt = now;
      if (tokens < 1) throw rateLimited('too many frames', 1);
      tokens -= 1;
    };

    const handle = async (raw: RawData, isBinary: boolean) => {
      let ref: string | undefined;
      try {
        let parsed: ReturnType<typeof parseFrame>;
        try {
          parsed = parseFrame(raw, isBinary);
        } catch (e) {
          spendFrameToken();
          throw e;
        }
        ref = parsed.ref;
        if (parsed.type !== 'message') spendFrameToken();
        session!.alive = true;
        await (frameHandlers[parsed.type] as (s: Session, f: unknown, r: string | undefined, d: FrameDeps) => Promise<void> | void)(session!, parsed.frame, ref, o.frameDeps);
      } catch (e) {
        session?.send(errorFrame(ref ?? (e as { ref?: string }).ref, e));
      }
    };

    const firstFrameAuth = async (raw: RawData) => {
      pendingAuth = [];
      const fail = () => socket.close(CLOSE.authFailed, 'authentication failed');
      try {
        const json = JSON.parse(raw.toString()) as { type?: unknown; token?: unknown; ref?: unknown };
        if (json.type !== 'auth' || typeof json.token !== 'string') return fail();
        start(await o.tokens.verify(json.token));
        clearTimeout(authTimer);
        session!.send({ type: 'auth_ok', ...(typeof json.ref === 'string' && { ref: json.ref }), user_id: session!.userId, session_id: session!.id });
        const queued = pendingAuth;
        pendingAuth = undefined;
        for (const frame of queued) await handle(frame, false);
      } catch {
        fail();
      }
    };

    // Attached before any await: no frame can slip by.
    socket.on('message', (raw, isBinary) => {
      if (session && pendingAuth === undefined) return void handle(raw, isBinary);
      if (pendingAuth) return void pendingAuth.push(raw);
      void firstFrameAuth(raw);
    });
    socket.on('pong', () => session && (session.alive = true));
    socket.on('close', () => {
      clearTimeout(authTimer);
      if (!session) return;
      o.sessions.remove(session);
      o.onClose(session);
    });
    // @fastify/websocket's own error listener holds the upgrade's request and reply (several KiB a
    // connection, for its lifetime); we handle errors ourselves, so drop it and let them go.
    socket.removeAllListeners('error');
    socket.on('error', () => socket.terminate());

    const authTimer = setTimeout(() => session || socket.close(CLOSE.authFailed, 'authentication timed out'), o.authTimeoutMs);
    if (request.wsCaller) {
      clearTimeout(authTimer);
      start(request.wsCaller);
    }
  });
};

