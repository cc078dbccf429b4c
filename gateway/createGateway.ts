import type { FastifyInstance } from 'fastify';
import type { Commands } from '../commands/index.ts';
import type { EventStore } from '../event-store/eventStore.ts';
import type { ReadModels } from '../projections/readModels.ts';
import { consistentReads } from '../read-api/consistentReads.ts';
import type { Tokens } from '../read-api/tokens.ts';
import type { Config } from '../server/config.ts';
import { createDeliveryRouter } from './delivery/deliveryRouter.ts';
import { originAllowed } from './originAllowed.ts';
import { createPresenceRegistry, type PresenceView } from './presence/presenceRegistry.ts';
import { createPresenceWatchers } from './presence/presenceWatchers.ts';
import { CLOSE, type Session } from './sessions/session.ts';
import { createSessionRegistry } from './sessions/sessionRegistry.ts';
import { wsRoute } from './wsRoute.ts';

/**
 * The WebSocket side of one node: sessions, the delivery router that feeds them,
 * presence (with heartbeats) and the `/v1/ws` route.
 */
export const createGateway = ({
  config,
  store,
  commands,
  readModels,
  tokens,
}: {
  config: Config;
  store: EventStore;
  commands: Commands;
  readModels: ReadModels;
  tokens: Tokens;
}) => {
  const sessions = createSessionRegistry();
  const watchers = createPresenceWatchers();
  /** message id → the session that sent it, until the router has skipped that session. */
  const origins = new Map<string, string>();

  /** A presence flip goes to those watching the user and to their direct-chat peers. */
  const announce = (view: PresenceView) => {
    const targets = new Set<Session>(watchers.of(view.user_id));
    for (const peer of readModels.queries.directPeers(view.user_id)) for (const s of sessions.of(peer)) targets.add(s);
    for (const s of targets) s.send({ type: 'presence', data: view });
  };
  const presence = createPresenceRegistry({ graceMs: config.ws.presenceGraceMs, onChange: announce });

  const router = createDeliveryRouter({
    store,
    sessions,
    readModels,
    originOf: (messageId) => {
      const origin = origins.get(messageId);
      origins.delete(messageId);
      return origin;
    },
  });

  // Heartbeat: a session that did not answer the previous ping is dead (its presence then lapses).
  const heartbeat = setInterval(() => {
    for (const s of sessions.all()) {
      if (!s.alive) s.close(CLOSE.goingAway, 'heartbeat missed');
      else {
        s.alive = false;
        s.ping();
      }
    }
  }, config.ws.pingIntervalMs);
  heartbeat.unref();

  return {
    presence,
    sessions,
    router,
    async register(app: FastifyInstance) {
      router.start();
      await app.register(wsRoute, {
        tokens,
        sessions,
        authTimeoutMs: config.ws.authTimeoutMs,
        maxBufferedBytes: config.ws.maxBufferedBytes,
        originAllowed: (origin, host) => originAllowed(origin, host, config.allowedOrigins),
        frameDeps: { commands, readModels, router, presence, watchers, origins, fresh: consistentReads(store, readModels.projector, config.readWaitMs) },
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
      presence.stop();
      await router.stop();
    },
  };
};

export type Gateway = ReturnType<typeof createGateway>;
