/**
 * A real redis-server (Debian's package, installed by .ci/install/redis.sh) on a free
 * loopback port, in-memory only (no RDB, no AOF), its working dir a temp dir.
 */
import { connect } from 'node:net';
import { freePort } from './freePort.ts';
import {
  findExecutable,
  launcher,
  lostPortRace,
  spawnServer,
  tempDir,
  waitUntilReady,
  type RunningServer,
} from './serverProcess.ts';

export type RedisServer = RunningServer & { host: string; port: number };

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
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(host);
    const temp = tempDir('redis');
    // Each argument is quoted by redis-server, so '' reaches the config as "" (save "": no RDB).
    const server = spawnServer(
      program,
      ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', temp.dir, '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning'],
      { cwd: temp.dir },
    );
    const stop = async () => {
      await server.stop(5_000);
      temp.remove();
    };
    try {
      await waitUntilReady(`redis-server on ${host}:${port}`, server, () => ping(host, port), { timeoutMs: 15_000, intervalMs: 50 });
    } catch (error) {
      await stop();
      if (attempt < 3 && lostPortRace(server.output())) continue;
      throw error;
    }
    return { url: `redis://${host}:${port}`, host, port, stop, output: server.output };
  }
};

/** Starts redis-server; null (or, under CHAT_REQUIRE_SERVERS=1, an error) when it is not installed. */
export const startRedis = launcher(findRedis, 'bash .ci/install/redis.sh', start, 'redis-server');
