import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTokens } from '../read-api/tokens.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const serverMain = fileURLToPath(new URL('../server/main.ts', import.meta.url));

export type ChildExit = { code: number | null; signal: NodeJS.Signals | null };

export type ChildServer = {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** The HS256 secret the child verifies tokens with (given in `env`, or generated). */
  jwtSecret: string;
  /** Settles once the child has exited and its output is read, however it ended. */
  exited: Promise<ChildExit>;
  /** Sends the signal (default SIGKILL) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<ChildExit>;
  /** SIGTERM (graceful: in-flight requests finish, stores close), SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<ChildExit>;
  /** Resolves once `GET /readyz` answers 200; rejects if the child exits first or after `timeoutMs`. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string;
  token(userId: string, roles?: string[]): Promise<string>;
  /** fetch against the child, JSON in and out, as `userId` (`admin` gets the admin role; null: no token). */
  call(userId: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
};

/** A port free right now on loopback. (Someone may take it before the child binds: see the retry in startChildServer.) */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

/** Children still running when the test process exits are killed with it, not left behind. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
const installExitHook = () => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const spawnServer = (dataDir: string, port: number, jwtSecret: string, env: Record<string, string>) => {
  const child = spawn(process.execPath, ['--import', 'tsx', serverMain], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      CHAT_PROFILE: 'embedded',
      CHAT_LOG_LEVEL: 'silent',
      CHAT_RATE_MSG_PER_SEC: '1000000',
      CHAT_RATE_MSG_BURST: '1000000',
      ...env,
      PORT: String(port),
      CHAT_DATA_DIR: dataDir,
      CHAT_JWT_SECRET: jwtSecret,
    },
  });
  running.add(child);
  installExitHook();
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  // 'close', not 'exit': the output has been read in full by then.
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      running.delete(child);
      output += `\nspawn failed: ${error.message}`;
      resolve({ code: null, signal: null });
    });
  });
  return { child, exited, output: () => output };
};

/**
 * `server/main.ts` in a child process over `dataDir`, as `npm start` runs it: what crash
 * tests SIGKILL and restart on the same data dir. `port` defaults to a free one (the
 * server can't report a port 0 back, so we pick it); by default this resolves once the
 * child is ready (`/readyz` 200), `waitReady: false` returns at once after the spawn.
 */
export const startChildServer = async ({
  dataDir,
  port,
  env = {},
  waitReady = true,
  readyTimeoutMs = 30_000,
}: {
  dataDir: string;
  port?: number;
  env?: Record<string, string>;
  waitReady?: boolean;
  readyTimeoutMs?: number;
}): Promise<ChildServer> => {
  const jwtSecret = env.CHAT_JWT_SECRET ?? randomBytes(32).toString('base64url');
  const tokens = createTokens(jwtSecret, env.CHAT_JWT_AUDIENCE ?? 'chat');
  const tokenCache = new Map<string, Promise<string>>();

  for (let attempt = 1; ; attempt++) {
    const chosenPort = port ?? (await freePort());
    const url = `http://127.0.0.1:${chosenPort}`;
    const { child, exited, output } = spawnServer(dataDir, chosenPort, jwtSecret, env);
    let hasExited = false;
    void exited.then(() => (hasExited = true));

    const kill = (signal: NodeJS.Signals = 'SIGKILL') => {
      if (!hasExited) child.kill(signal);
      return exited;
    };
    const server: ChildServer = {
      url,
      port: chosenPort,
      pid: child.pid ?? -1,
      dataDir,
      jwtSecret,
      exited,
      kill,
      async stop(timeoutMs = 10_000) {
        if (hasExited) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      },
      async waitReady(timeoutMs = readyTimeoutMs) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          if (hasExited) throw new Error(`server child exited before it was ready (${JSON.stringify(await exited)}):\n${output()}`);
          try {
            const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
            await response.arrayBuffer();
            if (response.status === 200) return;
          } catch {
            /* not listening yet */
          }
          if (Date.now() > deadline) throw new Error(`server child not ready within ${timeoutMs} ms:\n${output()}`);
          await sleep(25);
        }
      },
      output,
      token(userId, roles = []) {
        const key = `${userId}|${roles.join(',')}`;
        let t = tokenCache.get(key);
        if (!t) tokenCache.set(key, (t = tokens.issue(userId, roles)));
        return t;
      },
      async call(userId, method, path, body) {
        const headers: Record<string, string> = {};
        if (userId !== null) headers.authorization = `Bearer ${await server.token(userId, userId === 'admin' ? ['admin'] : [])}`;
        if (body !== undefined) headers['content-type'] = 'application/json';
        const response = await fetch(`${url}${path}`, {
          method,
          headers,
          ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        });
        const text = await response.text();
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON: keep the text */
        }
        return { status: response.status, body: parsed };
      },
    };

    if (!waitReady) return server;
    try {
      await server.waitReady();
      return server;
    } catch (e) {
      await kill('SIGKILL');
      // Lost the race for the port we picked: pick another.
      if (port === undefined && attempt < 3 && /EADDRINUSE/.test(output())) continue;
      throw e;
    }
  }
};
