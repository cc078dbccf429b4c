import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createCommands } from '../commands/index.ts';
import { createSqliteEventStore } from '../event-store/sqlite/sqliteEventStore.ts';
import { createGateway } from '../gateway/createGateway.ts';
import { createDeliveryRouter } from '../gateway/delivery/deliveryRouter.ts';
import { startReadModels } from '../projections/readModels.ts';
import { buildApi } from '../read-api/app.ts';
import { createMetrics } from '../read-api/metrics.ts';
import { createTokens } from '../read-api/tokens.ts';
import type { Config } from './config.ts';
import { closeWithin } from './closeWithin.ts';
import { listen } from './listen.ts';
import { jwtSecretFor } from './jwtSecret.ts';

/**
 * The embedded profile in one process: SQLite event store and read models under the
 * data dir, projections, commands and the HTTP API.
 */
export const startServer = async (config: Config) => {
  mkdirSync(config.dataDir, { recursive: true });
  const store = createSqliteEventStore({ path: join(config.dataDir, 'events.db'), commitInWorker: config.commitInWorker, soleWriter: true });
  const readModels = startReadModels({ store, path: join(config.dataDir, 'read-models.db'), writeInWorker: config.projectInWorker, readInWorker: config.readInWorker });
  const metrics = createMetrics();
  const commands = createCommands(store, { sendRate: config.rate, onAppended: (n) => metrics.appended.inc(n) });
  const tokens = createTokens(jwtSecretFor(config.jwtSecret, config.dataDir), config.jwtAudience);
  const gateway = createGateway({ config, commands, readSide: readModels, tokens });
  // Live delivery follows the log from its end: a replay never delivers.
  const router = createDeliveryRouter({ readSide: readModels, deliver: gateway.local });
  const feed = store.subscribeToAll({ after: 'end', maxBatchSize: 500, onEvents: router.handle });
  const app = await buildApi({ config, store, commands, readModels, tokens, presence: gateway.presence, metrics });
  await gateway.register(app);
  const { url, port } = await listen(app, config);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    app,
    store,
    commands,
    readModels,
    tokens,
    gateway,
    /** Graceful: stop taking requests, finish those in flight, then close the stores. */
    close: () =>
      (closing ??= (async () => {
        await gateway.stop();
        await feed.close();
        await closeWithin(app, config.shutdownGraceMs);
        await readModels.stop();
        await store.close();
      })()),
  };
};

export type RunningServer = Awaited<ReturnType<typeof startServer>>;
