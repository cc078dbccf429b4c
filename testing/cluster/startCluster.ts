import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startChildServer, type ChildServer } from '../childServer.ts';
import { scratchDir } from '../tempEventStore.ts';

export type ClusterServers = { redisUrl: string; mongoUrl: string; kafkaBrokers: string[] };

export type Cluster = {
  relay: ChildServer;
  projector: ChildServer;
  router: ChildServer;
  gateways: ChildServer[];
  /** The shared event store file (sqlite:<path>), for checks from the test. */
  eventStorePath: string;
  mongoDb: string;
  /** Starts a role process again (after a kill), same settings. */
  restart(name: 'relay' | 'projector' | 'router'): Promise<ChildServer>;
  stop(): Promise<void>;
};

/**
 * The production profile as separate processes on this machine: relay, projector,
 * router and `gatewayCount` gateways (`gw-0`, `gw-1`, …), each `server/main.ts` with its
 * CHAT_ROLES, on real Redis, Kafka and a MongoDB-wire server, sharing one SQLite event
 * store file (EventStoreDB cannot run here).
 */
export const startCluster = async (servers: ClusterServers, { gatewayCount = 2, env = {} }: { gatewayCount?: number; env?: Record<string, string> } = {}): Promise<Cluster> => {
  const dir = scratchDir('chat-cluster');
  const eventStorePath = join(dir, 'events.db');
  const mongoDb = `cluster_${process.pid}_${randomBytes(3).toString('hex')}`;
  const common: Record<string, string> = {
    CHAT_PROFILE: 'production',
    CHAT_EVENTSTORE_URL: `sqlite:${eventStorePath}`,
    CHAT_MONGO_URL: servers.mongoUrl,
    CHAT_MONGO_DB: mongoDb,
    CHAT_REDIS_URL: servers.redisUrl,
    CHAT_KAFKA_BROKERS: servers.kafkaBrokers.join(','),
    CHAT_KAFKA_PARTITIONS: '4',
    CHAT_JWT_SECRET: randomBytes(32).toString('base64url'),
    CHAT_WS_PING_MS: '1000',
    CHAT_PRESENCE_GRACE_MS: '300',
    ...env,
  };
  const start = (roles: string, nodeId: string) =>
    startChildServer({ dataDir: dir, env: { ...common, CHAT_ROLES: roles, CHAT_NODE_ID: nodeId }, readyTimeoutMs: 90_000 });

  const all: ChildServer[] = [];
  const track = async (p: Promise<ChildServer>) => {
    const s = await p;
    all.push(s);
    return s;
  };
  try {
    // The projector first: it creates the read models the others read.
    const projector = await track(start('projector', 'projector'));
    const [relay, router] = await Promise.all([track(start('relay', 'relay')), track(start('router', 'router'))]);
    const gateways: ChildServer[] = [];
    for (let i = 0; i < gatewayCount; i++) gateways.push(await track(start('gateway', `gw-${i}`)));
    const cluster: Cluster = {
      relay,
      projector,
      router,
      gateways,
      eventStorePath,
      mongoDb,
      async restart(name) {
        const s = await track(start(name, name));
        cluster[name] = s;
        return s;
      },
      async stop() {
        await Promise.all(all.map((s) => s.stop(5_000)));
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return cluster;
  } catch (e) {
    await Promise.all(all.map((s) => s.kill()));
    const outputs = all.map((s) => s.output()).join('\n---\n');
    throw new Error(`${(e as Error).message}\n${outputs}`);
  }
};
