/**
 * The servers a chat benchmark drives, each in a CHILD process so its RSS and CPU come
 * from /proc alone: the project (`server/main.ts`, embedded profile, fresh data dir on
 * /dev/shm when there is one, send limits off, logging off) and the baselines in
 * `bench/baselines/` (bare `ws` relay, Socket.IO relay; no persistence).
 */
import { UsageError } from './args.ts';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startChildServer } from '../../testing/childServer.ts';
import { scratchDir } from '../../testing/tempEventStore.ts';

export type TargetKind = 'project' | 'ws' | 'socketio';
export const TARGET_KINDS: readonly TargetKind[] = ['project', 'ws', 'socketio'];
export const TARGET_LABELS: Record<TargetKind, string> = {
  project: 'project (embedded, durable)',
  ws: 'bare ws relay (no persistence)',
  socketio: 'Socket.IO relay (no persistence)',
};

/** What a load worker needs to reach a target (plain data: crosses IPC). */
export type TargetInfo = {
  kind: TargetKind;
  /** http://127.0.0.1:<port> */
  url: string;
  /** The project's JWT secret (workers issue their own tokens); baselines take any token. */
  jwtSecret?: string;
};

export type RunningTarget = TargetInfo & { pid: number; stop(): Promise<void> };

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const BASELINE_MODULE: Record<Exclude<TargetKind, 'project'>, string> = {
  ws: fileURLToPath(new URL('../baselines/wsRelay.ts', import.meta.url)),
  socketio: fileURLToPath(new URL('../baselines/socketioRelay.ts', import.meta.url)),
};

const startBaseline = (kind: Exclude<TargetKind, 'project'>): Promise<RunningTarget> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, BASELINE_MODULE[kind]], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORT: '0' } });
    process.once('exit', () => child.kill('SIGKILL'));
    let buffered = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${kind} baseline did not start within 20 s`))), 20_000);
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${kind} baseline exited (${code}) before listening`))));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const match = /listening (\d+)/.exec(buffered);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      resolve({
        kind,
        url: `http://127.0.0.1:${match[1]}`,
        pid: child.pid!,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await exited;
            clearTimeout(t);
          }
        },
      });
    });
  });

const startProject = async (env: Record<string, string>): Promise<RunningTarget> => {
  const dataDir = scratchDir('bench-chat');
  const cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', cleanup);
  let server: Awaited<ReturnType<typeof startChildServer>>;
  try {
    server = await startChildServer({ dataDir, env: { CHAT_LOG_LEVEL: 'silent', CHAT_RATE_MSG_PER_SEC: '1000000', CHAT_RATE_MSG_BURST: '1000000', ...env }, readyTimeoutMs: 60_000 });
  } catch (error) {
    cleanup();
    throw error;
  }
  return {
    kind: 'project',
    url: server.url,
    jwtSecret: server.jwtSecret,
    pid: server.pid,
    stop: async () => {
      await server.stop(10_000);
      cleanup();
    },
  };
};

/** Starts a target and waits until it accepts traffic. `env` goes to the project's server only. */
export const startTarget = (kind: TargetKind, env: Record<string, string> = {}): Promise<RunningTarget> =>
  kind === 'project' ? startProject(env) : startBaseline(kind);

/** `--vs` and `--target` parsing: a comma list of target kinds. */
export const parseTargets = (value: string): TargetKind[] => {
  const kinds = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const k of kinds) if (!TARGET_KINDS.includes(k as TargetKind)) throw new Error(`unknown target ${JSON.stringify(k)} (project, ws, socketio)`);
  return kinds as TargetKind[];
};

/** The targets a run asked for: `--vs` means the project and both baselines; a bad name is a usage error. */
export const targetsOf = (options: { vs: boolean; targets: string }): TargetKind[] => {
  if (options.vs) return ['project', 'ws', 'socketio'];
  try {
    return parseTargets(options.targets);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
};
