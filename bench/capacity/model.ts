/**
 * The capacity model: measured per-node figures + assumptions → the load at the peak
 * and the processes, shards, partitions and nodes each tier needs. Pure functions
 * only; reading the figures and writing the report live in capacityModel.ts.
 */
import type { Assumptions } from './assumptions.ts';
import type { FigureName } from './figures.ts';

export type FigureValues = Record<FigureName, number>;

/** Deliveries per message in the direct benchmark: the router sends each message to both members (the sender's own session too). */
export const DIRECT_DELIVERIES_PER_MESSAGE = 2;
const SECONDS_PER_DAY = 86_400;
const GIB = 2 ** 30;

// ---- arithmetic ----

/** Ceiling that ignores floating-point dust: 40.000000000001 → 40. */
export const ceilUnits = (x: number): number => (x <= 0 ? 0 : Math.ceil(x - 1e-9));

/** Units (processes, shards, brokers) carrying `load` when each is run at `utilisation` of `perUnit`. */
export const unitsNeeded = (load: number, perUnit: number, utilisation: number): number => {
  if (!(perUnit > 0) || !(utilisation > 0)) throw new Error(`unitsNeeded: capacity ${perUnit} × utilisation ${utilisation} must be > 0`);
  return ceilUnits(load / (perUnit * utilisation));
};

/** Nodes holding `units` at `perNode` each. */
export const nodesFor = (units: number, perNode: number): number => ceilUnits(units / Math.max(1, Math.floor(perNode)));

/** What bounds the connections one gateway process holds: its file limit, a chosen cap, its share of the node's memory. */
export const connectionsPerProcess = (p: {
  fileLimit: number;
  reservedFiles: number;
  cap: number;
  memoryBytes: number;
  baseRssBytes: number;
  rssPerConnectionBytes: number;
}): { connections: number; boundBy: 'file limit' | 'cap' | 'memory' } => {
  const bounds = [
    { boundBy: 'file limit' as const, connections: Math.max(0, p.fileLimit - p.reservedFiles) },
    { boundBy: 'cap' as const, connections: p.cap },
    { boundBy: 'memory' as const, connections: Math.max(0, Math.floor((p.memoryBytes - p.baseRssBytes) / p.rssPerConnectionBytes)) },
  ];
  return bounds.reduce((a, b) => (b.connections < a.connections ? b : a));
};

// ---- the load at the peak ----

export type PeakLoad = {
  messagesPerS: number;
  /** Commands the gateways run: sends plus receipt watermarks. */
  commandsPerS: number;
  appendsPerS: number;
  deliveriesPerS: number;
  onlineUsers: number;
  pingsPerS: number;
  readRequestsPerS: number;
  eventBytesPerS: number;
  redisOpsPerS: { presenceTouches: number; sessionLookups: number; publishes: number; rateLimit: number; total: number };
  mongoOpsPerS: { messageWrites: number; receiptWrites: number; reads: number; total: number };
};

export const peakLoad = (f: FigureValues, a: Assumptions): PeakLoad => {
  const messagesPerS = a.peakMessagesPerS;
  const receipts = messagesPerS * a.receiptEventsPerMessage;
  const onlineUsers = a.concurrentConnections / a.sessionsPerUser;
  const peakFactor = a.peakMessagesPerS / a.averageMessagesPerS;
  const readRequestsPerS = ((a.dailyUsers * a.historyReadsPerUserPerDay) / SECONDS_PER_DAY) * peakFactor + messagesPerS * a.readRequestsPerMessage;
  const appendsPerS = messagesPerS + receipts;
  const redis = {
    presenceTouches: onlineUsers / a.pingIntervalS,
    sessionLookups: messagesPerS * a.membersPerMessage,
    publishes: messagesPerS * a.membersPerMessage * a.onlineShareOfMembers,
    rateLimit: messagesPerS * a.rateLimitOpsPerSend,
  };
  const mongo = {
    messageWrites: messagesPerS * a.mongoWritesPerMessage,
    receiptWrites: receipts * a.mongoWritesPerReceiptEvent,
    reads: readRequestsPerS * a.mongoOpsPerReadRequest,
  };
  return {
    messagesPerS,
    commandsPerS: messagesPerS + receipts,
    appendsPerS,
    deliveriesPerS: messagesPerS * a.membersPerMessage * a.onlineShareOfMembers * a.sessionsPerUser,
    onlineUsers,
    pingsPerS: a.concurrentConnections / a.pingIntervalS,
    readRequestsPerS,
    eventBytesPerS: appendsPerS * f.eventBytes,
    redisOpsPerS: { ...redis, total: redis.presenceTouches + redis.sessionLookups + redis.publishes + redis.rateLimit },
    mongoOpsPerS: { ...mongo, total: mongo.messageWrites + mongo.receiptWrites + mongo.reads },
  };
};

// ---- CPU per unit of work, from the figures ----

export type CpuCosts = {
  /** One delivery (a frame routed and written to a session); also charged per ping. */
  deliveryMs: number;
  /** One event applied to every read model. */
  projectionMs: number;
  /** One command at a gateway: the direct benchmark's CPU per message minus its projection and its deliveries. */
  commandMs: number;
};

export const cpuCosts = (f: FigureValues, a: Assumptions): CpuCosts => {
  const deliveryMs = 1_000 / f.deliveriesPerCore / a.cpuSpeedFactor;
  const projectionMs = 1_000 / f.projectedEventsPerCore / a.cpuSpeedFactor;
  const direct = f.directCpuMsPerMessage / a.cpuSpeedFactor;
  return { deliveryMs, projectionMs, commandMs: Math.max(0, direct - projectionMs - DIRECT_DELIVERIES_PER_MESSAGE * deliveryMs) };
};

// ---- tiers ----

export type Tier = {
  tier: string;
  /** The per-node figure the tier is sized on, in words with its value. */
  figure: string;
  /** The measured figures it rests on (their sources are in the report). */
  figureNames: FigureName[];
  load: string;
  /** Processes, shards or partitions, and what they are. */
  units: number;
  unitKind: string;
  nodes: number;
  /** Counted in the total (the alternatives and the reference row are not). */
  inTotal: boolean;
  formula: string;
};

const n0 = (n: number) => Math.round(n).toLocaleString('en-US');
const n2 = (n: number) => (Math.abs(n) >= 100 ? n0(n) : n.toPrecision(3));

export const gatewayTier = (f: FigureValues, a: Assumptions, load: PeakLoad, cost: CpuCosts, variant: 'raised' | 'bench'): Tier => {
  const fileLimit = variant === 'raised' ? a.raisedFileLimitPerProcess : a.fileLimitPerProcess;
  const perProcess = connectionsPerProcess({
    fileLimit,
    reservedFiles: a.reservedFilesPerProcess,
    cap: a.maxConnectionsPerProcess,
    memoryBytes: (a.nodeMemoryGiB * GIB * a.usableMemoryShare) / a.nodeCores,
    baseRssBytes: f.gatewayBaseRssBytes,
    rssPerConnectionBytes: f.connectionRssBytes,
  });
  const busyCores = (load.commandsPerS * cost.commandMs + (load.deliveriesPerS + load.pingsPerS) * cost.deliveryMs) / 1_000;
  const byCpu = unitsNeeded(busyCores, 1, a.targetUtilisation);
  const byConnections = ceilUnits(a.concurrentConnections / perProcess.connections);
  const processes = Math.max(byCpu, byConnections);
  return {
    tier: variant === 'raised' ? `gateway (file limit raised to ${n0(fileLimit)})` : `gateway, alternative: file limit ${n0(fileLimit)} as benchmarked`,
    figure: `${n0(perProcess.connections)} connections/process (${perProcess.boundBy}; ${n2(f.connectionRssBytes / 1_024)} KiB each); ${n2(cost.commandMs)} ms CPU/command, ${n2(cost.deliveryMs)} ms/delivery`,
    figureNames: ['connectionRssBytes', 'gatewayBaseRssBytes', 'directCpuMsPerMessage', 'deliveriesPerCore', 'projectedEventsPerCore'],
    load: `${n0(a.concurrentConnections)} connections; ${n0(load.commandsPerS)} commands/s, ${n0(load.deliveriesPerS)} deliveries/s, ${n0(load.pingsPerS)} pings/s = ${n2(busyCores)} cores`,
    units: processes,
    unitKind: `processes (${n0(byConnections)} for connections, ${n0(byCpu)} for CPU)`,
    nodes: nodesFor(processes, a.nodeCores),
    inTotal: variant === 'raised',
    formula: 'max(connections / connections per process, busy cores / utilisation); busy cores = commands × command CPU + (deliveries + pings) × delivery CPU',
  };
};

export const eventStoreTier = (f: FigureValues, a: Assumptions, load: PeakLoad): Tier => {
  const shards = unitsNeeded(load.appendsPerS, f.storeAppendsPerS, a.targetUtilisation);
  return {
    tier: 'event store (command appends)',
    figure: `${n0(f.storeAppendsPerS)} appends/s per store process`,
    figureNames: ['storeAppendsPerS'],
    load: `${n0(load.appendsPerS)} appends/s (messages + receipts)`,
    units: shards,
    unitKind: 'shards',
    nodes: shards * a.storeReplicas,
    inTotal: true,
    formula: `appends / (appends per process × utilisation); nodes = shards × ${a.storeReplicas} replicas`,
  };
};

export const relayTier = (f: FigureValues, a: Assumptions, load: PeakLoad, storeShards: number): Tier => {
  const perRelay = load.appendsPerS / Math.max(1, storeShards);
  const capacity = f.logReadEventsPerCore * a.cpuSpeedFactor;
  return {
    tier: 'relay (store → Kafka)',
    figure: `${n0(capacity)} events/s read and decoded per core`,
    figureNames: ['logReadEventsPerCore'],
    load: `${n0(perRelay)} events/s per shard (${n2((100 * perRelay) / capacity)} % of one core's read rate)`,
    units: storeShards,
    unitKind: 'processes, one beside each store shard (on its nodes: no nodes of their own)',
    nodes: 0,
    inTotal: true,
    formula: 'one per event-store shard, run on that shard’s nodes; each must stay under one core’s read rate (an ordered log has one reader)',
  };
};

export const projectorTier = (f: FigureValues, a: Assumptions, load: PeakLoad): Tier => {
  const processes = unitsNeeded(load.appendsPerS, f.projectedEventsPerCore * a.cpuSpeedFactor, a.targetUtilisation);
  return {
    tier: 'projector',
    figure: `${n0(f.projectedEventsPerCore * a.cpuSpeedFactor)} events/s per core (all read models)`,
    figureNames: ['projectedEventsPerCore'],
    load: `${n0(load.appendsPerS)} events/s`,
    units: processes,
    unitKind: 'processes',
    nodes: nodesFor(processes, a.nodeCores),
    inTotal: true,
    formula: 'events / (events per core × utilisation)',
  };
};

export const routerTier = (f: FigureValues, a: Assumptions, load: PeakLoad): Tier => {
  const processes = unitsNeeded(load.deliveriesPerS, f.deliveriesPerCore * a.cpuSpeedFactor, a.targetUtilisation);
  return {
    tier: 'router',
    figure: `${n0(f.deliveriesPerCore * a.cpuSpeedFactor)} deliveries/s per core`,
    figureNames: ['deliveriesPerCore'],
    load: `${n0(load.deliveriesPerS)} deliveries/s (${a.membersPerMessage} members × ${a.onlineShareOfMembers} online × ${a.sessionsPerUser} sessions per message)`,
    units: processes,
    unitKind: 'processes',
    nodes: nodesFor(processes, a.nodeCores),
    inTotal: true,
    formula: 'deliveries / (deliveries per core × utilisation)',
  };
};

export const kafkaTier = (f: FigureValues, a: Assumptions, load: PeakLoad, consumers: number): Tier => {
  const byThroughput = ceilUnits(load.appendsPerS / a.kafkaEventsPerPartitionPerS);
  const partitions = ceilUnits(Math.max(byThroughput, consumers) * a.kafkaPartitionGrowthFactor);
  const brokerBytes = load.eventBytesPerS * (a.kafkaReplicationFactor + a.kafkaConsumerGroups);
  const brokers = Math.max(a.kafkaReplicationFactor, unitsNeeded(brokerBytes, a.kafkaBrokerBytesPerS, a.targetUtilisation));
  return {
    tier: 'Kafka `chat.events`',
    figure: `${n0(a.kafkaEventsPerPartitionPerS)} events/s per partition, ${n2(a.kafkaBrokerBytesPerS / 1e6)} MB/s per broker (assumed); event size measured`,
    figureNames: ['eventBytes'],
    load: `${n0(load.appendsPerS)} events/s × ${n0(f.eventBytes)} B = ${n2(load.eventBytesPerS / 1e6)} MB/s in, ${n2(brokerBytes / 1e6)} MB/s with replicas and consumers`,
    units: partitions,
    unitKind: `partitions (max(${n0(byThroughput)} for throughput, ${n0(consumers)} consumers) × ${a.kafkaPartitionGrowthFactor})`,
    nodes: brokers,
    inTotal: true,
    formula: 'partitions = max(events / events per partition, largest consumer group) × growth; brokers = bytes × (replicas + consumer groups) / (broker bytes × utilisation)',
  };
};

export const readApiTier = (f: FigureValues, a: Assumptions, load: PeakLoad): Tier => {
  const busyCores = (load.readRequestsPerS * f.historyCpuMsPerRequest) / a.cpuSpeedFactor / 1_000;
  const processes = unitsNeeded(busyCores, 1, a.targetUtilisation);
  return {
    tier: 'read-api',
    figure: `${n2(f.historyCpuMsPerRequest / a.cpuSpeedFactor)} ms CPU per history request`,
    figureNames: ['historyCpuMsPerRequest'],
    load: `${n0(load.readRequestsPerS)} req/s = ${n2(busyCores)} cores`,
    units: processes,
    unitKind: 'processes',
    nodes: nodesFor(processes, a.nodeCores),
    inTotal: true,
    formula: 'requests × CPU per request / utilisation; requests = daily users × reads per day / 86,400 × peak/average + messages × reads per message',
  };
};

export const redisTier = (a: Assumptions, load: PeakLoad): Tier => {
  const r = load.redisOpsPerS;
  const shards = unitsNeeded(r.total, a.redisOpsPerShard, a.targetUtilisation);
  return {
    tier: 'Redis',
    figure: `${n0(a.redisOpsPerShard)} ops/s per shard (assumed)`,
    figureNames: [],
    load: `${n0(r.total)} ops/s: presence ${n0(r.presenceTouches)}, session lookups ${n0(r.sessionLookups)}, publishes ${n0(r.publishes)}, rate limit ${n0(r.rateLimit)}`,
    units: shards,
    unitKind: 'shards',
    nodes: nodesFor(shards * a.redisReplicasPerShard, a.redisShardsPerNode),
    inTotal: true,
    formula: `ops / (ops per shard × utilisation); nodes = shards × ${a.redisReplicasPerShard} / ${a.redisShardsPerNode} per node`,
  };
};

export const mongoTier = (a: Assumptions, load: PeakLoad): Tier => {
  const m = load.mongoOpsPerS;
  const shards = unitsNeeded(m.total, a.mongoOpsPerShard, a.targetUtilisation);
  return {
    tier: 'MongoDB (read models)',
    figure: `${n0(a.mongoOpsPerShard)} ops/s per shard (assumed)`,
    figureNames: [],
    load: `${n0(m.total)} ops/s: message writes ${n0(m.messageWrites)}, receipt writes ${n0(m.receiptWrites)}, reads ${n0(m.reads)}`,
    units: shards,
    unitKind: 'shards',
    nodes: shards * a.mongoReplicasPerShard,
    inTotal: true,
    formula: `ops / (ops per shard × utilisation); nodes = shards × ${a.mongoReplicasPerShard} replicas`,
  };
};

/** Not a plan: today's embedded server (every stage in one process) at its latency-bound maximum, for comparison. */
export const embeddedReference = (f: FigureValues, a: Assumptions, load: PeakLoad): Tier => {
  const processes = unitsNeeded(load.messagesPerS, f.embeddedMaxMessagesPerS * a.cpuSpeedFactor, 1);
  return {
    tier: 'reference: embedded all-in-one process',
    figure: `${n0(f.embeddedMaxMessagesPerS * a.cpuSpeedFactor)} msg/s per process at p99 ≤ the limit`,
    figureNames: ['embeddedMaxMessagesPerS'],
    load: `${n0(load.messagesPerS)} msg/s`,
    units: processes,
    unitKind: 'processes (no receipts, no headroom)',
    nodes: nodesFor(processes, a.nodeCores),
    inTotal: false,
    formula: 'messages / held rate (already latency-bound)',
  };
};

// ---- the whole model ----

export type Partitioning = { key: string; path: string; how: string };

export const partitioning = (tiers: { storeShards: number; partitions: number; projectors: number; routers: number; gatewayProcesses: number; redisShards: number; mongoShards: number }): Partitioning[] => [
  { key: 'chat id', path: `event-store shard (1 of ${n0(tiers.storeShards)})`, how: 'hash(chat id) mod shards; a chat’s streams (`chat-<id>`, `receipts-<id>`) live on one shard, so an append never spans shards' },
  { key: 'chat id', path: `Kafka partition of \`chat.events\` (1 of ${n0(tiers.partitions)})`, how: 'the relay keys each record by chat id (murmur2, `bus/`): one chat’s events stay in order in one partition' },
  { key: 'Kafka partition', path: `projector instance (of ${n0(tiers.projectors)}) and router instance (of ${n0(tiers.routers)})`, how: 'consumer groups `projector` and `router`: each partition is read by one instance per group' },
  { key: 'chat id', path: `MongoDB shard (1 of ${n0(tiers.mongoShards)})`, how: 'every read-model key starts with chat_id (hashed shard key); the inbox query (a user’s memberships) is scatter-gather unless memberships are also kept by user' },
  { key: 'user id', path: `gateway node (${n0(tiers.gatewayProcesses)} processes)`, how: 'consistent hash at the load balancer, so one user’s sessions share a node (one presence touch per user per round); the SDK knows every gateway for failover' },
  { key: 'user id', path: `Redis shard (1 of ${n0(tiers.redisShards)})`, how: '`user-nodes:<user>`, `last-seen:<user>`, `rate:send:<user>` by cluster slot (a `{user}` hash tag keeps them together); `node:<id>` channels need sharded pub/sub (SPUBLISH): a classic PUBLISH is broadcast to every cluster node' },
];

export type CapacityResult = {
  load: PeakLoad;
  cpu: CpuCosts;
  tiers: Tier[];
  totalNodes: number;
  partitioning: Partitioning[];
  warnings: string[];
};

export const capacityModel = (f: FigureValues, a: Assumptions): CapacityResult => {
  const load = peakLoad(f, a);
  const cpu = cpuCosts(f, a);
  const gateway = gatewayTier(f, a, load, cpu, 'raised');
  const gatewayAtBenchLimit = gatewayTier(f, a, load, cpu, 'bench');
  const store = eventStoreTier(f, a, load);
  const relay = relayTier(f, a, load, store.units);
  const projector = projectorTier(f, a, load);
  const router = routerTier(f, a, load);
  const kafka = kafkaTier(f, a, load, Math.max(projector.units, router.units));
  const readApi = readApiTier(f, a, load);
  const redis = redisTier(a, load);
  const mongo = mongoTier(a, load);
  const tiers = [gateway, gatewayAtBenchLimit, store, relay, kafka, projector, router, readApi, redis, mongo, embeddedReference(f, a, load)];
  const warnings: string[] = [];
  if (cpu.commandMs === 0) warnings.push('the direct benchmark’s CPU per message is below its projection and delivery costs: command CPU set to 0 (figures from different runs?)');
  if (load.appendsPerS / Math.max(1, store.units) > f.logReadEventsPerCore * a.cpuSpeedFactor * a.targetUtilisation)
    warnings.push('a relay would read its shard’s log faster than one core’s read rate × utilisation: add store shards');
  return {
    load,
    cpu,
    tiers,
    totalNodes: tiers.filter((t) => t.inTotal).reduce((s, t) => s + t.nodes, 0),
    partitioning: partitioning({
      storeShards: store.units,
      partitions: kafka.units,
      projectors: projector.units,
      routers: router.units,
      gatewayProcesses: gateway.units,
      redisShards: redis.units,
      mongoShards: mongo.units,
    }),
    warnings,
  };
};
