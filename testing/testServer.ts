import { rmSync } from 'node:fs';
import { loadConfig } from '../server/config.ts';
import { startServer, type RunningServer } from '../server/startServer.ts';
import { scratchDir } from './tempEventStore.ts';

export type TestServer = RunningServer & {
  dataDir: string;
  token(userId: string, roles?: string[]): Promise<string>;
  /** fetch against the server, JSON in and out, as `userId` (or unauthenticated with null). */
  call(userId: string | null, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
};

/** A real server on a free loopback port over a scratch data dir: what the e2e tests talk HTTP to. */
export const startTestServer = async (env: Record<string, string> = {}): Promise<TestServer> => {
  const dataDir = scratchDir('chat-server');
  const config = loadConfig({ PORT: '0', CHAT_DATA_DIR: dataDir, CHAT_LOG_LEVEL: 'silent', CHAT_RATE_MSG_PER_SEC: '100000', CHAT_RATE_MSG_BURST: '100000', ...env });
  const server = await startServer(config);
  const tokens = new Map<string, string>();
  const token = async (userId: string, roles: string[] = []) => {
    const key = `${userId}|${roles.join(',')}`;
    let t = tokens.get(key);
    if (!t) tokens.set(key, (t = await server.tokens.issue(userId, roles)));
    return t;
  };
  return {
    ...server,
    dataDir,
    token,
    async call(userId, method, path, body, headers = {}) {
      const all: Record<string, string> = { ...headers };
      if (userId !== null) all.authorization ??= `Bearer ${await token(userId, userId === 'admin' ? ['admin'] : [])}`;
      if (body !== undefined) all['content-type'] ??= 'application/json';
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: all,
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};
