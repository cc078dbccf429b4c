import { createServer, type Server } from 'node:net';

const listen = (host: string): Promise<Server> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => resolve(probe));
  });

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/**
 * `count` distinct ports free right now on `host` (loopback by default). They are held
 * together while chosen, so they differ from each other; another process may still take
 * one before the server binds it, so launchers retry on "address in use".
 */
export const freePorts = async (count: number, host = '127.0.0.1'): Promise<number[]> => {
  const probes: Server[] = [];
  try {
    for (let i = 0; i < count; i++) probes.push(await listen(host));
    return probes.map((probe) => {
      const address = probe.address();
      if (typeof address !== 'object' || !address) throw new Error('a listening socket without a port');
      return address.port;
    });
  } finally {
    await Promise.all(probes.map(close));
  }
};

/** One port free right now on `host` (loopback by default). */
export const freePort = async (host = '127.0.0.1'): Promise<number> => (await freePorts(1, host))[0]!;
