import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { badRequest, notFound } from '../../domain/errors.ts';
import { requireAdmin } from '../auth.ts';
import type { RouteDeps } from '../apiDeps.ts';

const projectionSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  schema_version: z.number().int(),
  checkpoint: z.number().int(),
  lag: z.number().int(),
  state: z.string(),
});
const rebuildSchema = z.object({
  name: z.string(),
  build: z.number().int(),
  checkpoint: z.number().int(),
  head: z.number().int(),
  applied: z.number().int(),
  events_per_second: z.number(),
  state: z.string(),
  error: z.string().optional(),
});

/** Operations (protocol section 8): projection status and online rebuilds. */
export const adminRoutes: FastifyPluginAsync<RouteDeps> = async (app, { readModels, auth }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/v1/admin/projections', {
    schema: { response: { 200: z.object({ projections: z.array(projectionSchema), rebuilds: z.array(rebuildSchema) }) } },
    onRequest: [auth, requireAdmin],
    handler: async () => ({
      projections: (await readModels.status()).map((p) => ({ ...p, checkpoint: Number(p.checkpoint), lag: Number(p.lag) })),
      rebuilds: readModels.rebuilds().map((b) => ({
        name: b.name,
        build: b.build,
        checkpoint: Number(b.checkpoint),
        head: Number(b.head),
        applied: b.applied,
        events_per_second: b.eventsPerSecond,
        state: b.state,
        ...(b.error !== undefined && { error: b.error }),
      })),
    }),
  });

  r.post('/v1/admin/projections/:name/rebuild', {
    schema: { params: z.object({ name: z.string().max(64) }), response: { 202: z.object({ name: z.string(), state: z.string() }) } },
    onRequest: [auth, requireAdmin],
    handler: async (request, reply) => {
      const { name } = request.params;
      if (!(await readModels.status()).some((p) => p.name === name)) throw notFound(`no projection ${name}`);
      if (readModels.rebuilds().some((b) => b.name === name && b.state === 'running')) throw badRequest(`${name} is already being rebuilt`);
      readModels.rebuild(name).catch((e: unknown) => request.log.error({ err: e }, `rebuild of ${name} failed`));
      return reply.code(202).send({ name, state: 'running' });
    },
  });
};
