/**
 * A real redis-server (Debian's package, installed by .ci/install/redis.sh) on a free
 * loopback port, in-memory only (no RDB, no AOF), its working dir a temp dir. It can be
 * killed and restarted on the same port (RedisServer).
 */
import { connect } from 'node:net';
import { freePort } from './freePort.ts';
import {
  findExecutable,
  launcher,
  managedServer,
  startOnFreePorts,
  spawnServer,
  tempDir,
  waitUntilReady,
  type RestartableServer,
} from './serverProcess.ts';

/**
 * `kill()` is SIGTERM (SIGKILL after 5 s); `restart()` brings it back on the same port,
 * empty: it keeps nothing on disk, so its data is gone, as after a real Redis crash.
 */
export type RedisServer = RestartableServer & { host: string; port: number };

const findRedis = () => findExecutable('redis-server', ['/usr/sbin', '/usr/local/bin']);

/** One RESP PING on a fresh connection: true on +PONG. */
const ping = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      reply += chunk;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });

const start = async (program: string): Promise<RedisServer> => {
  const host = '127.0.0.1';
  return startOnFreePorts(async () => {
    const port = await freePort(host);
    const temp = tempDir('redis');
    const what = `redis-server on ${host}:${port}`;
    const server = managedServer({
      what,
      host,
      ports: [port],
      temp,
      // Each argument is quoted by redis-server, so '' reaches the config as "" (save "": no RDB).
      spawn: () =>
        spawnServer(
          program,
          ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', temp.dir, '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning'],
          { cwd: temp.dir },
        ),
      ready: (proc) => waitUntilReady(what, proc, () => ping(host, port), { timeoutMs: 15_000, intervalMs: 50 }),
      kill: 5_000,
      stopGraceMs: 5_000,
    });
    const { stop, kill, restart, output } = server;
    return { server, result: { url: `redis://${host}:${port}`, host, port, stop, kill, restart, output } };
  });
};

/** Starts redis-server; null (or, under CHAT_REQUIRE_SERVERS=1, an error) when it is not installed. */
export const startRedis = launcher(findRedis, 'bash .ci/install/redis.sh', start, 'redis-server');
