/**
 * What the launchers in this folder share: where the installed programs are (PATH or the
 * cache that .ci/install/*.sh fills), what to do when one is missing, and a server
 * process whose output is kept for error messages and which never outlives the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A server started for tests. `url` is what its client library connects to. */
export type RunningServer = {
  url: string;
  /** Stops the process (SIGTERM, SIGKILL after a grace period) and removes its temp dir. */
  stop(): Promise<void>;
  /** The last part of what the server printed (for assertion messages). */
  output(): string;
};

/**
 * A server a fault test can take down and bring back: same host, port(s) and data dir, so
 * its clients reconnect to the same `url`. `stop()` still ends it for good (and removes the
 * temp dir), whether it is up or down at the time.
 */
export type RestartableServer = RunningServer & {
  /**
   * Stops the process (each launcher says how: SIGKILL, or SIGTERM then SIGKILL) but keeps
   * its temp/data dir, so `restart()` can bring it back. Does nothing when it is already down.
   */
  kill(): Promise<void>;
  /**
   * Starts the server again on the same host and port(s) with the same data dir (killing it
   * first if it is still running); resolves once it answers the launcher's readiness check.
   * Rejects, without trying another port, when a port was taken while the server was down;
   * the server then stays down (a later `restart()` may succeed, `stop()` cleans up).
   */
  restart(): Promise<void>;
};

/**
 * A launcher: call it to start a server (null when its program is not on this machine and
 * CHAT_REQUIRE_SERVERS is not '1'; with it set, a missing program throws). `find()` tells
 * synchronously whether the program is there, so a test file can decide at collection time.
 */
export type Launcher<S extends RunningServer> = (() => Promise<S | null>) & {
  /** Where the program is, or null when it is missing. */
  find(): string | null;
  /** How to install it, for messages. */
  installHint: string;
};

export const launcher = <S extends RunningServer>(
  find: () => string | null,
  installHint: string,
  start: (program: string) => Promise<S>,
  what: string,
): Launcher<S> =>
  Object.assign(
    async (): Promise<S | null> => {
      const program = find();
      if (program === null) return missingProgram(what, installHint);
      return start(program);
    },
    { find, installHint },
  );

/** CHAT_REQUIRE_SERVERS=1 (set by .ci/run): a missing server program fails instead of skipping. */
export const serversRequired = (): boolean => process.env.CHAT_REQUIRE_SERVERS === '1';

/** The cache the install scripts fill: the same default as .ci/install/*.sh. */
export const cacheDir = (): string => process.env.CHAT_CACHE_DIR || join(homedir(), '.cache', 'chat-backend');

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** `name` on PATH, else in one of `extraDirs` (e.g. the cache's bin), else null. */
export const findExecutable = (name: string, extraDirs: string[] = []): string | null => {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
};

/** What a launcher returns when its program is missing: null, or under CHAT_REQUIRE_SERVERS=1 an error. */
export const missingProgram = (what: string, installHint: string): null => {
  if (serversRequired()) {
    throw new Error(
      `${what} is not installed on this machine, and CHAT_REQUIRE_SERVERS=1 says tests must not skip it. ` +
        `Install it with: ${installHint}`,
    );
  }
  return null;
};

/** A fresh temp dir, and a function that removes it. */
export const tempDir = (prefix: string): { dir: string; remove(): void } => {
  const dir = mkdtempSync(join(tmpdir(), `chat-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Server processes still running when the test process exits are killed with it. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
const installExitHook = () => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
};

const OUTPUT_KEEP = 64 * 1024;

export type ServerProcess = {
  child: ChildProcess;
  /** True once the process has exited (or failed to spawn). */
  hasExited(): boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs: number): Promise<void>;
  /** SIGKILL at once (a crash); resolves once the process is gone. */
  kill(): Promise<void>;
};

/** Spawns a server program with its output captured (the last 64 KiB). */
export const spawnServer = (
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): ServerProcess => {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  installExitHook();
  let output = '';
  const append = (chunk: string) => {
    output += chunk;
    if (output.length > 2 * OUTPUT_KEEP) output = output.slice(-OUTPUT_KEEP);
  };
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      done = true;
      running.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      done = true;
      running.delete(child);
      append(`\nspawn of ${command} failed: ${error.message}`);
      resolve({ code: null, signal: null });
    });
  });
  return {
    child,
    hasExited: () => done,
    exited,
    output: () => output.slice(-OUTPUT_KEEP),
    async stop(graceMs) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (done) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
};

/**
 * Polls `probe` until it resolves true. Fails at once if the process exits first, and
 * after `timeoutMs` otherwise; either error carries the server's output.
 */
export const waitUntilReady = async (
  what: string,
  server: ServerProcess,
  probe: () => Promise<boolean>,
  { timeoutMs, intervalMs = 100 }: { timeoutMs: number; intervalMs?: number },
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (server.hasExited()) {
      const { code, signal } = await server.exited;
      throw new Error(`${what} exited before it answered (code ${code}, signal ${signal}):\n${server.output()}`);
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const last = lastError instanceof Error ? ` (last probe error: ${lastError.message})` : '';
      throw new Error(`${what} did not answer within ${timeoutMs} ms${last}:\n${server.output()}`);
    }
    await sleep(intervalMs);
  }
};

/** True when a start failed because someone took the port we picked: try another. */
export const lostPortRace = (output: string): boolean => /address already in use|EADDRINUSE|BindException/i.test(output);

/** Whether `port` on `host` can be listened on right now (false: someone else holds it). */
const portIsFree = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
    probe.listen({ host, port }, () => probe.close(() => resolve(true)));
  });

const portTaken = (what: string, host: string, ports: number[], oneOf: boolean, cause?: unknown) => {
  const addresses = ports.map((port) => `${host}:${port}`).join(', ');
  const taken = oneOf ? `one of ${addresses} was` : ports.length > 1 ? `${addresses} were` : `${addresses} was`;
  return new Error(
    `${what} cannot restart: ${taken} taken by another process while the server was down. restart() keeps ` +
      'the same port, since clients reconnect to the same URL, so it does not try another one.',
    cause === undefined ? undefined : { cause },
  );
};

/** What `managedServer` needs to (re)start one server on fixed ports and a fixed temp dir. */
export type ServerLifecycle = {
  /** For messages, e.g. `redis-server on 127.0.0.1:6379`. */
  what: string;
  host: string;
  /** Every port the server binds; all must still be free when it restarts. */
  ports: number[];
  temp: { dir: string; remove(): void };
  /** Before each spawn (the first one too): e.g. format storage if it is not formatted yet. */
  prepare?(): Promise<void>;
  /** Spawns the server: same arguments every time, so the same ports and data. */
  spawn(): ServerProcess;
  /** Resolves once the spawned process answers (waitUntilReady with the launcher's probe). */
  ready(server: ServerProcess): Promise<void>;
  /** How `kill()` stops it: 'SIGKILL' at once, or SIGTERM then SIGKILL after this many ms. */
  kill: 'SIGKILL' | number;
  /** `stop()`'s grace between SIGTERM and SIGKILL. */
  stopGraceMs: number;
};

/**
 * One server process across kills and restarts. `start()` is the first start: on failure it
 * cleans up (process and temp dir) and rethrows, and `lostPortRace()` tells the launcher
 * whether to try again on other ports. The other methods are what RestartableServer exposes.
 */
export const managedServer = (life: ServerLifecycle) => {
  let current: ServerProcess | null = null;
  let earlierOutput = '';
  let stopped = false;
  // kill() and restart() run one at a time, in call order.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(step: () => Promise<T>): Promise<T> => {
    const result = queue.then(step);
    queue = result.catch(() => {});
    return result;
  };

  const output = () => (earlierOutput + (current?.output() ?? '')).slice(-OUTPUT_KEEP);

  const killCurrent = async () => {
    if (current === null || current.hasExited()) return;
    await (life.kill === 'SIGKILL' ? current.kill() : current.stop(life.kill));
  };

  /** Prepares, spawns and waits until ready; on failure the new process is killed (the dir stays). */
  const launch = async () => {
    await life.prepare?.();
    if (stopped) throw new Error(`${life.what}: stopped while it was (re)starting`);
    if (current !== null) earlierOutput = `${output()}\n----- ${life.what}: restarted -----\n`;
    const server = life.spawn();
    current = server;
    try {
      await life.ready(server);
    } catch (error) {
      await server.kill();
      throw error;
    }
  };

  return {
    output,
    lostPortRace: () => lostPortRace(current?.output() ?? ''),
    async start(): Promise<void> {
      try {
        await launch();
      } catch (error) {
        life.temp.remove();
        throw error;
      }
    },
    kill: (): Promise<void> => serially(killCurrent),
    restart: (): Promise<void> =>
      serially(async () => {
        if (stopped) throw new Error(`${life.what}: restart() after stop() (its temp dir is gone)`);
        await killCurrent();
        const taken: number[] = [];
        for (const port of life.ports) if (!(await portIsFree(life.host, port))) taken.push(port);
        if (taken.length > 0) throw portTaken(life.what, life.host, taken, false);
        try {
          await launch();
        } catch (error) {
          // Someone took the port between the check above and the server's bind.
          if (lostPortRace(current?.output() ?? '')) throw portTaken(life.what, life.host, life.ports, life.ports.length > 1, error);
          throw error;
        }
      }),
    async stop(): Promise<void> {
      // Not queued behind a restart: killing the process makes a pending readiness wait fail
      // at once, and `stopped` keeps a restart from spawning another one.
      stopped = true;
      await current?.stop(life.stopGraceMs);
      await queue;
      await current?.stop(life.stopGraceMs);
      life.temp.remove();
    },
  };
};

/**
 * Builds a server on ports that are free right now and starts it. Another process may take a
 * port between the check and the bind: a start that lost that race is built again on fresh
 * ports, three attempts in all.
 */
export const startOnFreePorts = async <T>(build: () => Promise<{ server: ReturnType<typeof managedServer>; result: T }>): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    const { server, result } = await build();
    try {
      await server.start();
      return result;
    } catch (error) {
      if (attempt < 3 && server.lostPortRace()) continue;
      throw error;
    }
  }
};
