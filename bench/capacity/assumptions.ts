/**
 * The capacity model's assumptions: everything it needs that the benchmarks do not
 * measure. Each one is named, has a unit, a default and the reason for that default;
 * `--assume name=value` overrides any of them.
 */

export type AssumptionSpec = { default: number; unit: string; description: string };

export const assumptionSpecs = {
  // ---- the target (seed design) ----
  dailyUsers: { default: 500_000_000, unit: 'users', description: 'daily active users' },
  concurrentConnections: { default: 50_000_000, unit: 'connections', description: 'WebSocket connections open at the peak' },
  averageMessagesPerS: { default: 230_000, unit: 'msg/s', description: 'messages sent per second, daily average' },
  peakMessagesPerS: { default: 700_000, unit: 'msg/s', description: 'messages sent per second at the peak; every tier is sized for it' },

  // ---- traffic shape ----
  membersPerMessage: {
    default: 2.5,
    unit: 'users',
    description: 'users a message is routed to: every member of its chat, the sender included (the router sends the message frame to all members). Direct chats 2, small groups more',
  },
  onlineShareOfMembers: { default: 0.8, unit: 'share', description: 'share of those members online when the message is routed (chats are conversations: mostly online)' },
  sessionsPerUser: { default: 1.5, unit: 'sessions', description: 'connections per online user (phone + desktop/web); online users = connections / this' },
  receiptEventsPerMessage: {
    default: 1,
    unit: 'events',
    description: 'DeliveredUpTo/ReadUpTo events appended per message: each online member’s SDK acks (coalesced per chat per auto-ack interval) and marks read; each is also a command at a gateway',
  },
  historyReadsPerUserPerDay: { default: 10, unit: 'requests', description: 'history pages (GET /v1/messages and the like) a daily user reads per day' },
  readRequestsPerMessage: { default: 0.1, unit: 'requests', description: 'extra chat reads caused by a message (opening a chat from a notification, sync after a gap)' },
  pingIntervalS: { default: 30, unit: 's', description: 'gateway ping round (CHAT_WS_PING_MS default): one ping per connection and one presence touch per online user per round' },

  // ---- headroom and hardware ----
  targetUtilisation: { default: 0.5, unit: 'share', description: 'run every tier at this share of its measured throughput (latency headroom, a node lost, daily growth)' },
  cpuSpeedFactor: { default: 1, unit: '×', description: 'speed of a production core relative to the benchmark machine’s (a shared 2-core Xeon); CPU figures are divided by it' },
  nodeCores: { default: 16, unit: 'cores', description: 'cores per node; stateless roles run one Node process per core (one main thread each)' },
  nodeMemoryGiB: { default: 64, unit: 'GiB', description: 'memory per node' },
  usableMemoryShare: { default: 0.75, unit: 'share', description: 'share of a node’s memory the processes may fill (kernel socket buffers, page cache, spikes)' },

  // ---- gateway ----
  fileLimitPerProcess: { default: 20_000, unit: 'files', description: 'open-file limit per process as benchmarked (`ulimit -n` of the bench machine)' },
  raisedFileLimitPerProcess: { default: 1_048_576, unit: 'files', description: 'open-file limit per process in production (`LimitNOFILE` raised)' },
  reservedFilesPerProcess: { default: 1_000, unit: 'files', description: 'files a gateway keeps open besides client sockets (listener, Redis/Kafka/MongoDB/store connections, logs); 19,000 sockets held under 20,000' },
  maxConnectionsPerProcess: { default: 100_000, unit: 'connections', description: 'cap per gateway process even with a raised file limit: the blast radius of one crash (its clients all reconnect elsewhere at once)' },

  // ---- event store, Kafka ----
  storeReplicas: { default: 3, unit: 'nodes', description: 'nodes per event-store shard (EventStoreDB cluster of 3); one shard replica per node' },
  kafkaReplicationFactor: { default: 3, unit: 'copies', description: 'replication factor of `chat.events`' },
  kafkaConsumerGroups: { default: 2, unit: 'groups', description: 'consumer groups reading every record (`projector`, `router`)' },
  kafkaEventsPerPartitionPerS: { default: 10_000, unit: 'events/s', description: 'events/s one partition is planned for (≈ 6 MB/s of ≈ 600-byte events, well under one partition’s limit)' },
  kafkaPartitionGrowthFactor: { default: 2, unit: '×', description: 'partitions created beyond today’s need: the count is fixed at creation, since changing it moves chats to other partitions' },
  kafkaBrokerBytesPerS: { default: 300_000_000, unit: 'bytes/s', description: 'bytes in + out one broker sustains (replication and consumers included); not measured here' },

  // ---- Redis ----
  redisOpsPerShard: { default: 100_000, unit: 'ops/s', description: 'small Lua EVALs / PUBLISHes one Redis shard (one core) sustains; not measured here (redis-benchmark order of magnitude)' },
  redisReplicasPerShard: { default: 2, unit: 'processes', description: 'primary + replica per shard' },
  redisShardsPerNode: { default: 4, unit: 'shards', description: 'Redis processes (shard primaries or replicas) per node' },
  rateLimitOpsPerSend: { default: 1, unit: 'ops', description: 'token-bucket EVALs per send (`rate:send:<user>`)' },

  // ---- MongoDB ----
  mongoWritesPerMessage: { default: 3, unit: 'writes', description: 'document writes per MessageSent: history row, inbox activity, the chat’s projected position (positions coalesce per chat per batch: an upper bound)' },
  mongoWritesPerReceiptEvent: { default: 2, unit: 'writes', description: 'document writes per receipt event: the receipt row and the chat’s projected position' },
  mongoOpsPerReadRequest: { default: 2, unit: 'ops', description: 'MongoDB operations per chat read: the projected-position check and the query' },
  mongoOpsPerShard: { default: 50_000, unit: 'ops/s', description: 'document operations per second one shard primary sustains with batched writes; not measured here' },
  mongoReplicasPerShard: { default: 3, unit: 'nodes', description: 'replica-set members per MongoDB shard, one per node' },
} as const satisfies Record<string, AssumptionSpec>;

export type AssumptionName = keyof typeof assumptionSpecs;
export type Assumptions = Record<AssumptionName, number>;

export const defaultAssumptions = (): Assumptions =>
  Object.fromEntries(Object.entries(assumptionSpecs).map(([name, spec]) => [name, spec.default])) as Assumptions;

export const isAssumptionName = (name: string): name is AssumptionName => Object.hasOwn(assumptionSpecs, name);

/** `name=value` pairs (from `--assume`) over the defaults; an unknown name or a bad number is an error. */
export const withOverrides = (base: Assumptions, pairs: readonly string[]): Assumptions => {
  const result = { ...base };
  for (const pair of pairs) {
    const [name, raw, ...rest] = pair.split('=');
    if (name === undefined || raw === undefined || rest.length > 0 || !isAssumptionName(name)) throw new Error(`--assume ${JSON.stringify(pair)}: expected name=value with a name from --help`);
    const value = Number(raw.replaceAll('_', ''));
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--assume ${name}: ${JSON.stringify(raw)} is not a number > 0`);
    if (assumptionSpecs[name].unit === 'share' && value > 1) throw new Error(`--assume ${name}: a share is at most 1, got ${value}`);
    result[name] = value;
  }
  return result;
};
