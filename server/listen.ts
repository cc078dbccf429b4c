import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';

/** Listens on the configured host and port; answers the port taken (PORT=0 picks one) and the base URL. */
export const listen = async (app: FastifyInstance, config: Config) => {
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return { port, url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}` };
};
