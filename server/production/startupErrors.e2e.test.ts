import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startChildServer } from '../../testing/childServer.ts';
import { scratchDir } from '../../testing/tempEventStore.ts';

/**
 * Configuration errors in production end the process with one line naming the setting:
 * a server that does not answer at start, a wrong URL, a missing secret.
 */
const dir = scratchDir('chat-startup');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const startWith = async (env: Record<string, string>) => {
  const server = await startChildServer({ dataDir: dir, waitReady: false, env: { CHAT_PROFILE: 'production', ...env } });
  const exit = await server.exited;
  const lines = server.output().trim().split('\n');
  return { exit, lines };
};

describe('production start-up errors', () => {
  it('an unreachable read store ends the start with one line naming CHAT_MONGO_URL', async () => {
    const closed = await freePort();
    const { exit, lines } = await startWith({
      CHAT_ROLES: 'gateway',
      CHAT_EVENTSTORE_URL: `sqlite:${join(dir, 'events.db')}`,
      CHAT_MONGO_URL: `mongodb://127.0.0.1:${closed}`,
      CHAT_MONGO_TIMEOUT_MS: '500',
      CHAT_REDIS_URL: 'redis://127.0.0.1:1',
      CHAT_KAFKA_BROKERS: '127.0.0.1:1',
    });
    expect(exit.code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^chat server: cannot reach CHAT_MONGO_URL \\(mongodb://127\\.0\\.0\\.1:${closed}\\)`));
  }, 30_000);

  it('a wrong URL or a missing setting is named before anything is contacted', async () => {
    const bad = await startWith({ CHAT_ROLES: 'relay', CHAT_EVENTSTORE_URL: 'http://eventstore:2113', CHAT_JWT_SECRET: 'x'.repeat(32) });
    expect(bad.exit.code).toBe(1);
    expect(bad.lines).toEqual([expect.stringMatching(/^chat server: invalid setting CHAT_EVENTSTORE_URL: must be an esdb:\/\/ connection string/)]);
    const missing = await startWith({
      CHAT_ROLES: 'relay',
      CHAT_EVENTSTORE_URL: 'esdb://eventstore:2113?tls=false',
      CHAT_MONGO_URL: 'mongodb://mongo',
      CHAT_REDIS_URL: 'redis://redis',
      CHAT_JWT_SECRET: 'x'.repeat(32),
    });
    expect(missing.lines).toEqual(['chat server: missing setting CHAT_KAFKA_BROKERS: required in production']);
  }, 30_000);
});
