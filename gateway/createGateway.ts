import type { FastifyInstance } from 'fastify';
import type { Commands } from '../commands/index.ts';
import type { ReadSide } from '../projections/readSide.ts';
import { consistentReads } from '../read-api/consistentReads.ts';
import type { Tokens } from '../read-api/tokens.ts';
import type { Config } from '../server/config.ts';
import type { Deliver } from './cluster/delivery.ts';
import { deliverLocally } from './cluster/deliverLocally.ts';
import { originAllowed } from './originAllowed.ts';
import type { PresenceFactory } from './presence/presence.ts';
import { createPresenceRegistry, type PresenceView } from './presence/presenceRegistry.ts';
import { createPresenceWatchers } from './presence/presenceWatchers.ts';
import { CLOSE, type Session } from './sessions/session.ts';
import { createSessionRegistry } from './sessions/sessionRegistry.ts';
import { wsRoute } from './wsRoute.ts';

/**
 * The WebSocket side of one node: sessions, presence (with heartbeats) and the `/v1/ws`
 * route. Frames reach its sessions through `local` (called by the delivery router in
 * process, or by the node's channel in production); frames it originates (typing) leave
 * through `deliver`, which reaches users on any node.
 */
export const createGateway = ({
  config,
  commands,
  readSide,
  tokens,
  deliver,
  presence: createPresence = (onChange) => createPresenceRegistry({ graceMs: config.ws.presenceGraceMs, onChange }),
}: {
  config: Config;
  commands: Commands;
  readSide: ReadSide;
  tokens: Tokens;
  /** Default: this node only (one process holds every session). */
  deliver?: Deliver;
  presence?: PresenceFactory;
}) => {
  const sessions = createSessionRegistry();
  const watchers = createPresenceWatchers();
  /** message id → the session that sent it, until its frame has skipped that session. */
  const origins = new Map<string, string>();
  const local = deliverLocally(sessions, origins);

  /** A presence flip goes to those watching the user and to their direct-chat peers (here). */
  const announce = async (view: PresenceView) => {
    const targets = new Set<Session>(watchers.of(view.user_id));
    for (const peer of await readSide.queries.directPeers(view.user_id)) for (const s of sessions.of(peer)) targets.add(s);
    for (const s of targets) s.send({ type: 'presence', data: view });
  };
  const presence = createPresence((view) => void announce(view).catch((e: unknown) => console.error('presence announce', e)));

  // Heartbeat: a session that did not answer the previous ping is dead (its presence then lapses).
  const heartbeat = setInterval(() => {
    const users = new Set<string>();
    for (const s of sessions.all()) {
      if (!s.alive) s.close(CLOSE.goingAway, 'heartbeat missed');
      else {
        s.alive = false;
        s.ping();
        users.add(s.userId);
      }
    }
    presence.heartbeat?.(users);
  }, config.ws.pingIntervalMs);
  heartbeat.unref();

  return {
    presence,
    sessions,
    /** Hands frames to this node's sessions. */
    local,
    async register(app: FastifyInstance) {
      await app.register(wsRoute, {
        tokens,
        sessions,
        authTimeoutMs: config.ws.authTimeoutMs,
        maxBufferedBytes: config.ws.maxBufferedBytes,
        originAllowed: (origin, host) => originAllowed(origin, host, config.allowedOrigins),
        frameDeps: { commands, readSide, deliver: deliver ?? local, presence, watchers, origins, fresh: consistentReads(readSide, config.readWaitMs) },
        onOpen: (s) => presence.opened(s.userId),
        onClose: (s) => {
          watchers.forget(s);
          presence.closed(s.userId);
        },
      });
    },
    async stop() {
      clearInterval(heartbeat);
      for (const s of sessions.all()) s.close(CLOSE.goingAway, 'server shutting down');
      await presence.stop();
    },
  };
};

export type Gateway = ReturnType<typeof createGateway>;
