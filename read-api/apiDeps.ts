import type { onRequestAsyncHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import type { Commands } from '../commands/index.ts';
import type { EventStore } from '../event-store/eventStore.ts';
import type { ReadSide } from '../projections/readSide.ts';
import type { PresenceView } from '../gateway/presence/presenceRegistry.ts';
import type { Config } from '../server/config.ts';
import type { Tokens } from './tokens.ts';
import type { Metrics } from './metrics.ts';

/** What the REST routes are given: declared, not reached for. */
export type ApiDeps = {
  config: Config;
  store: EventStore;
  commands: Commands;
  readModels: ReadSide;
  tokens: Tokens;
  presence: { view(userId: string): PresenceView | Promise<PresenceView> };
  metrics: Metrics;
};

/** Shared hooks built once from the deps. */
export type RouteDeps = ApiDeps & { auth: onRequestAsyncHookHandler; fresh: preHandlerAsyncHookHandler };
