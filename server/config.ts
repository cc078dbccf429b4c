import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/** Protocol section 0, validated: a wrong setting ends start-up with one line naming it. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  CHAT_PROFILE: z.enum(['embedded', 'production']).default('embedded'),
  CHAT_DATA_DIR: z.string().min(1).default('./data'),
  /**
   * Embedded store: commit appends on a worker thread. Off by default: on this shared 2-core
   * machine the A/B runs did not show a gain (bench/RESULTS.md, "commit worker").
   */
  CHAT_COMMIT_IN_WORKER: bool.optional(),
  /**
   * Embedded read models: the projector's writes and commits on a worker thread (default
   * on: `direct` at 5,000 msg/s kept up with it and fell behind without it, bench/RESULTS.md).
   */
  CHAT_PROJECT_IN_WORKER: bool.optional(),
  /** Embedded read models: REST history pages read on a worker thread (default on). */
  CHAT_READ_IN_WORKER: bool.optional(),
  CHAT_JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  CHAT_JWT_AUDIENCE: z.string().min(1).default('chat'),
  CHAT_DEV_LOGIN: bool.optional(),
  CHAT_ALLOWED_ORIGINS: list.default([]),
  CHAT_RATE_MSG_PER_SEC: z.coerce.number().positive().default(30),
  CHAT_RATE_MSG_BURST: z.coerce.number().int().positive().default(100),
  CHAT_METRICS_TOKEN: z.string().min(1).optional(),
  CHAT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  /** How long a read waits for projections to reach the latest acknowledged write. */
  CHAT_READ_WAIT_MS: z.coerce.number().int().positive().default(5_000),
  /** WebSocket heartbeat: a session that misses one ping interval is dropped. */
  CHAT_WS_PING_MS: z.coerce.number().int().positive().default(30_000),
  /** How long a user stays online after their last session closed (no flap on reconnect). */
  CHAT_PRESENCE_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
  CHAT_WS_AUTH_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  /** Unsent bytes a session may hold before it is closed as a slow consumer (4008). */
  CHAT_WS_MAX_BUFFERED_BYTES: z.coerce.number().int().positive().default(4 * 1024 * 1024),
  /** Shutdown: how long requests in flight may take before the connections left are cut. */
  CHAT_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
  /** Production: which roles this process runs (comma list); the embedded profile runs all. */
  CHAT_ROLES: list.pipe(z.array(z.enum(['gateway', 'projector', 'relay', 'router'])).min(1)).optional(),
  CHAT_NODE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 characters of [A-Za-z0-9_.-]').optional(),
  CHAT_EVENTSTORE_URL: z
    .string()
    .regex(/^(esdb(\+discover)?:\/\/|sqlite:.)/, 'must be an esdb:// connection string (or sqlite:<path> for one host)')
    .optional(),
  CHAT_MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL').optional(),
  CHAT_MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a database name of [A-Za-z0-9_-]').default('chat'),
  /** How long a read waits for MongoDB to answer before the client gets `unavailable`. */
  CHAT_MONGO_TIMEOUT_MS: z.coerce.number().int().positive().default(3_000),
  CHAT_KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(10_000).default(12),
  CHAT_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  CHAT_KAFKA_BROKERS: list.pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port entries')).min(1)).optional(),
});

export type Config = {
  port: number;
  host: string;
  profile: 'embedded' | 'production';
  dataDir: string;
  commitInWorker: boolean;
  projectInWorker: boolean;
  readInWorker: boolean;
  jwtSecret: string | undefined;
  jwtAudience: string;
  devLogin: boolean;
  allowedOrigins: string[];
  rate: { perSecond: number; burst: number };
  metricsToken: string | undefined;
  logLevel: string;
  readWaitMs: number;
  shutdownGraceMs: number;
  ws: { pingIntervalMs: number; presenceGraceMs: number; authTimeoutMs: number; maxBufferedBytes: number };
  roles: ('gateway' | 'projector' | 'relay' | 'router')[];
  nodeId: string;
  production?: {
    eventStoreUrl: string;
    mongoUrl: string;
    mongoDb: string;
    mongoTimeoutMs: number;
    redisUrl: string;
    kafkaBrokers: string[];
    kafkaPartitions: number;
  };
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const loadConfig = (env: Record<string, string | undefined> = process.env): Config => {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid setting ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.CHAT_PROFILE === 'production') {
    const required = ['CHAT_JWT_SECRET', 'CHAT_ROLES', 'CHAT_EVENTSTORE_URL', 'CHAT_MONGO_URL', 'CHAT_REDIS_URL', 'CHAT_KAFKA_BROKERS'] as const;
    const missing = required.find((k) => e[k] === undefined);
    if (missing) throw new ConfigError(`missing setting ${missing}: required in production`);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    profile: e.CHAT_PROFILE,
    dataDir: e.CHAT_DATA_DIR,
    commitInWorker: e.CHAT_COMMIT_IN_WORKER ?? false,
    projectInWorker: e.CHAT_PROJECT_IN_WORKER ?? true,
    readInWorker: e.CHAT_READ_IN_WORKER ?? true,
    jwtSecret: e.CHAT_JWT_SECRET,
    jwtAudience: e.CHAT_JWT_AUDIENCE,
    devLogin: e.CHAT_DEV_LOGIN ?? e.CHAT_PROFILE === 'embedded',
    allowedOrigins: e.CHAT_ALLOWED_ORIGINS,
    rate: { perSecond: e.CHAT_RATE_MSG_PER_SEC, burst: e.CHAT_RATE_MSG_BURST },
    metricsToken: e.CHAT_METRICS_TOKEN,
    logLevel: e.CHAT_LOG_LEVEL,
    readWaitMs: e.CHAT_READ_WAIT_MS,
    shutdownGraceMs: e.CHAT_SHUTDOWN_GRACE_MS,
    ws: {
      pingIntervalMs: e.CHAT_WS_PING_MS,
      presenceGraceMs: e.CHAT_PRESENCE_GRACE_MS,
      authTimeoutMs: e.CHAT_WS_AUTH_TIMEOUT_MS,
      maxBufferedBytes: e.CHAT_WS_MAX_BUFFERED_BYTES,
    },
    roles: e.CHAT_ROLES ?? ['gateway', 'projector', 'relay', 'router'],
    nodeId: e.CHAT_NODE_ID ?? 'node-1',
    ...(e.CHAT_PROFILE === 'production' && {
      production: {
        eventStoreUrl: e.CHAT_EVENTSTORE_URL!,
        mongoUrl: e.CHAT_MONGO_URL!,
        mongoDb: e.CHAT_MONGO_DB,
        mongoTimeoutMs: e.CHAT_MONGO_TIMEOUT_MS,
        redisUrl: e.CHAT_REDIS_URL!,
        kafkaBrokers: e.CHAT_KAFKA_BROKERS!,
        kafkaPartitions: e.CHAT_KAFKA_PARTITIONS,
      },
    }),
  };
};
