import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const production = {
  CHAT_PROFILE: 'production',
  CHAT_JWT_SECRET: 'a-secret-of-enough-length',
  CHAT_ROLES: 'gateway,router',
  CHAT_EVENTSTORE_URL: 'esdb://eventstore:2113?tls=false',
  CHAT_MONGO_URL: 'mongodb://mongo:27017/chat',
  CHAT_REDIS_URL: 'redis://redis:6379',
  CHAT_KAFKA_BROKERS: 'kafka:9092,kafka2:9092',
};

const errorOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  return 'no error';
};

describe('configuration', () => {
  it('defaults to protocol section 0 for the embedded profile', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, host: '127.0.0.1', profile: 'embedded', dataDir: './data', jwtAudience: 'chat', devLogin: true, allowedOrigins: [], rate: { perSecond: 30, burst: 100 } });
    expect(c.roles).toEqual(['gateway', 'projector', 'relay', 'router']);
  });

  it('reads the production settings', () => {
    const c = loadConfig(production);
    expect(c.devLogin).toBe(false);
    expect(c.roles).toEqual(['gateway', 'router']);
    expect(c.production).toEqual({
      eventStoreUrl: production.CHAT_EVENTSTORE_URL,
      mongoUrl: production.CHAT_MONGO_URL,
      mongoDb: 'chat',
      mongoTimeoutMs: 3_000,
      redisUrl: production.CHAT_REDIS_URL,
      kafkaBrokers: ['kafka:9092', 'kafka2:9092'],
      kafkaPartitions: 12,
    });
  });

  it('names the one setting that is missing or wrong, in one line', () => {
    expect(errorOf({ ...production, CHAT_JWT_SECRET: '' })).toMatch(/^invalid setting CHAT_JWT_SECRET/);
    const { CHAT_JWT_SECRET: _, ...noSecret } = production;
    expect(errorOf(noSecret)).toBe('missing setting CHAT_JWT_SECRET: required in production');
    const { CHAT_REDIS_URL: __, ...noRedis } = production;
    expect(errorOf(noRedis)).toBe('missing setting CHAT_REDIS_URL: required in production');
    expect(errorOf({ ...production, CHAT_ROLES: 'gateway,chef' })).toMatch(/^invalid setting CHAT_ROLES/);
    expect(errorOf({ ...production, CHAT_MONGO_URL: 'http://mongo' })).toBe('invalid setting CHAT_MONGO_URL: must be a mongodb:// URL');
    expect(errorOf({ ...production, CHAT_KAFKA_BROKERS: 'kafka' })).toMatch(/^invalid setting CHAT_KAFKA_BROKERS/);
    expect(errorOf({ PORT: 'eighty' })).toMatch(/^invalid setting PORT/);
    expect(errorOf({ CHAT_PROFILE: 'cloud' })).toMatch(/^invalid setting CHAT_PROFILE/);
    for (const message of [errorOf({ PORT: '-1' }), errorOf(noSecret)]) expect(message).not.toContain('\n');
  });
});
