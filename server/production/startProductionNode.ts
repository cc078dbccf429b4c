import { MongoClient } from 'mongodb';
import Fastify from 'fastify';
import { createKafkaBus } from '../../bus/kafka/kafkaBus.ts';
import { dropDuplicates } from '../../bus/relay/dropDuplicates.ts';
import { CHAT_EVENTS_TOPIC } from '../../bus/relay/relayedEvent.ts';
import { createCommands } from '../../commands/index.ts';
import { kvSendRateLimiter } from '../../commands/kvSendRateLimiter.ts';
import { kvDeliver, subscribeNodeChannel } from '../../gateway/cluster/kvDeliver.ts';
import { createGateway } from '../../gateway/createGateway.ts';
import { createDeliveryRouter } from '../../gateway/delivery/deliveryRouter.ts';
import { kvPresence } from '../../gateway/presence/kvPresence.ts';
import { createRedisKvStore } from '../../kv/redis/redisKvStore.ts';
import { allProjections } from '../../projections/allProjections.ts';
import { startBusProjector, type BusProjector } from '../../projections/bus/busProjector.ts';
import { createMongoReadSide } from '../../projections/mongo/mongoReadSide.ts';
import { createMongoReadStore } from '../../projections/mongo/mongoReadStore.ts';
import { buildApi } from '../../read-api/app.ts';
import { createMetrics } from '../../read-api/metrics.ts';
import { createTokens } from '../../read-api/tokens.ts';
import type { Config } from '../config.ts';
import { listen } from '../listen.ts';
import { connectOrExplain } from './connectOrExplain.ts';
import { closeWithin } from '../closeWithin.ts';
import { keepRelaying } from './keepRelaying.ts';
import { mongoRelayCheckpoint } from './mongoRelayCheckpoint.ts';
import { openEventStore } from './openEventStore.ts';

/**
 * The production profile: the roles in CHAT_ROLES, in this process, on the shared servers.
 * - relay: event store → `chat.events` (Kafka), checkpoint in MongoDB;
 * - projector: `chat.events` → MongoDB read models (consumer group `projector`);
 * - router: `chat.events` → frames → the nodes holding the recipients' sessions (group `router`, Redis channels);
 * - gateway: WebSocket and REST for clients; commands append to the event store.
 */
export const startProductionNode = async (config: Config) => {
  const p = config.production!;
  const roles = new Set(config.roles);
  const store = await connectOrExplain('CHAT_EVENTSTORE_URL', p.eventStoreUrl, async () => {
    const s = await openEventStore(p.eventStoreUrl);
    await s.headPosition();
    return s;
  });
  const mongo = await connectOrExplain('CHAT_MONGO_URL', p.mongoUrl, () =>
    new MongoClient(p.mongoUrl, { serverSelectionTimeoutMS: p.mongoTimeoutMs }).connect(),
  );
  const readStore = await createMongoReadStore({ url: p.mongoUrl, dbName: p.mongoDb, client: mongo });
  const kv = createRedisKvStore(p.redisUrl);
  await connectOrExplain('CHAT_REDIS_URL', p.redisUrl, () => kv.get('chat:ping'));
  const bus = createKafkaBus({ brokers: p.kafkaBrokers, clientId: `chat-${config.nodeId}` });
  await connectOrExplain('CHAT_KAFKA_BROKERS', p.kafkaBrokers.join(','), () => bus.ensureTopic(CHAT_EVENTS_TOPIC, p.kafkaPartitions), 30_000);

  const stops: (() => Promise<unknown>)[] = [];

  if (roles.has('relay')) {
    const relay = keepRelaying({ store, bus, checkpoint: mongoRelayCheckpoint(readStore.db) });
    stops.push(() => relay.stop());
  }

  let projector: BusProjector | undefined;
  if (roles.has('projector')) {
    projector = await startBusProjector({ bus, store, readStore, projections: allProjections });
    stops.push(() => projector!.stop());
  }

  const readSide = createMongoReadSide({
    store,
    readStore,
    ...(projector && { rebuild: projector.rebuild, rebuilds: projector.rebuilds }),
  });

  if (roles.has('router')) {
    const router = createDeliveryRouter({ readSide, deliver: kvDeliver(kv) });
    // Live only: a router that starts late does not replay old frames (clients sync).
    const subscription = await bus.subscribe({
      topic: CHAT_EVENTS_TOPIC,
      groupId: 'router',
      fromBeginning: false,
      onBatch: dropDuplicates((fresh) => router.handle(fresh.map((r) => r.event))),
    });
    stops.push(() => subscription.close());
  }

  const app = roles.has('gateway')
    ? await (async () => {
        const metrics = createMetrics();
        const commands = createCommands(store, { sendLimiter: kvSendRateLimiter(kv, config.rate), onAppended: (n) => metrics.appended.inc(n) });
        const tokens = createTokens(config.jwtSecret!, config.jwtAudience); // required in production by loadConfig
        const gateway = createGateway({
          config,
          commands,
          readSide,
          tokens,
          deliver: kvDeliver(kv),
          presence: kvPresence({ kv, nodeId: config.nodeId, ttlMs: config.ws.pingIntervalMs * 3, graceMs: config.ws.presenceGraceMs }),
        });
        const unsubscribe = await subscribeNodeChannel(kv, config.nodeId, gateway.local);
        const api = await buildApi({ config, store, commands, readModels: readSide, tokens, presence: gateway.presence, metrics });
        await gateway.register(api);
        stops.unshift(async () => {
          await gateway.stop();
          await unsubscribe();
        });
        return api;
      })()
    : Fastify()
        .get('/healthz', async () => ({ status: 'ok', roles: config.roles }))
        .get('/readyz', async () => ({ status: 'ready', roles: config.roles }));

  const { url, port } = await listen(app, config);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      (closing ??= (async () => {
        await closeWithin(app, config.shutdownGraceMs);
        for (const stop of stops) await stop().catch((e: unknown) => console.error('stopping', e));
        await bus.close();
        await kv.close();
        await mongo.close();
        await store.close();
      })()),
  };
};
