import type { FastifyPluginAsync } from 'fastify';
import { errorBody } from '../errorHandler.ts';
import { bearerOf } from '../tokens.ts';
import type { RouteDeps } from '../apiDeps.ts';

/** `/healthz` (the process is up), `/readyz` (projections caught up at start), `/metrics`. */
export const operationsRoutes: FastifyPluginAsync<RouteDeps> = async (app, { config, readModels, metrics }) => {
  let ready = false;
  void readModels.ready.then(() => (ready = true));

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) =>
    ready ? { status: 'ready' } : reply.code(503).send(errorBody('unavailable', 'projections are catching up')),
  );

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (config.metricsToken && bearerOf(request.headers.authorization) !== config.metricsToken)
      return reply.code(401).send(errorBody('unauthorized', 'metrics token required'));
    for (const p of await readModels.status()) if (p.state === 'live') metrics.lag.set({ projection: p.name }, Number(p.lag));
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
};
