/**
 * A real FerretDB v1 (MongoDB wire protocol) on its SQLite backend, in a temp dir, on a
 * free loopback port. Built from the Go module proxy by .ci/install/ferretdb.sh into
 * `${CHAT_CACHE_DIR:-~/.cache/chat-backend}/bin`; a `ferretdb` on PATH is used first.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort } from './freePort.ts';
import {
  cacheDir,
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
 * `kill()` is SIGKILL (a crash); `restart()` starts it again on the same port with the same
 * SQLite data dir, so the documents are still there.
 */
export type FerretDbServer = RestartableServer & { host: string; port: number };

const findFerretDb = () => findExecutable('ferretdb', [join(cacheDir(), 'bin')]);

/** The mongodb driver's `ping` command on a fresh client: true when it answers ok. */
const ping = async (url: string): Promise<boolean> => {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
  try {
    const reply = await client.db('admin').command({ ping: 1 });
    return reply.ok === 1;
  } finally {
    await client.close(true);
  }
};

const start = async (program: string): Promise<FerretDbServer> => {
  const host = '127.0.0.1';
  return startOnFreePorts(async () => {
    const port = await freePort(host);
    const temp = tempDir('ferretdb');
    const dataDir = join(temp.dir, 'data');
    mkdirSync(dataDir);
    const url = `mongodb://${host}:${port}/?directConnection=true`;
    const what = `ferretdb on ${host}:${port}`;
    const server = managedServer({
      what,
      host,
      ports: [port],
      temp,
      spawn: () =>
        spawnServer(
          program,
          [
            '--handler=sqlite',
            `--sqlite-url=file:${dataDir}/`,
            `--listen-addr=${host}:${port}`,
            '--debug-addr=-', // no metrics/pprof HTTP listener (its default is a fixed port, 8088)
            '--telemetry=disable',
            `--state-dir=${temp.dir}`,
            '--log-level=warn',
          ],
          { cwd: temp.dir },
        ),
      ready: (proc) => waitUntilReady(what, proc, () => ping(url), { timeoutMs: 20_000, intervalMs: 100 }),
      // A crash: SQLite's journal keeps every committed write.
      kill: 'SIGKILL',
      stopGraceMs: 5_000,
    });
    const { stop, kill, restart, output } = server;
    return { server, result: { url, host, port, stop, kill, restart, output } };
  });
};

/** Starts FerretDB on SQLite; null (or, under CHAT_REQUIRE_SERVERS=1, an error) when it is not built. */
export const startFerretDb = launcher(findFerretDb, 'bash .ci/install/ferretdb.sh', start, 'FerretDB (ferretdb)');
