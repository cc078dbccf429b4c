import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idSchema } from '../../domain/ids.ts';
import { requireAdmin } from '../auth.ts';
import type { RouteDeps } from '../apiDeps.ts';
import { exportEvents } from '../export/exportEvents.ts';
import { createManifestBuilder } from '../export/manifest.ts';
import { exportSigningKey } from '../export/signingKey.ts';

/** A bound: a log position (digits) or an ISO 8601 time. */
const bound = z
  .string()
  .max(40)
  .transform((v, ctx) => {
    if (/^\d+$/.test(v)) return BigInt(v);
    const t = new Date(v);
    if (Number.isNaN(t.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'must be a log position or an ISO 8601 time' });
      return z.NEVER;
    }
    return t;
  });

const exportQuery = z
  .object({ chat_id: idSchema.optional(), user_id: idSchema.optional(), from: bound.optional(), to: bound.optional() })
  .refine((q) => (q.chat_id === undefined) !== (q.user_id === undefined), { message: 'give exactly one of chat_id and user_id' });

/**
 * `GET /v1/admin/export`: NDJSON, one event per line in log order, then a signed
 * manifest line (count, digest, per-stream revision ranges) that anyone can verify.
 */
export const exportRoutes: FastifyPluginAsync<RouteDeps> = async (app, { store, config, auth }) => {
  const key = exportSigningKey(config.dataDir);
  app.withTypeProvider<ZodTypeProvider>().get('/v1/admin/export', {
    schema: { querystring: exportQuery },
    onRequest: [auth, requireAdmin],
    handler: async (request, reply) => {
      const q = request.query;
      const filter = Object.fromEntries(Object.entries(request.query as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      const manifest = createManifestBuilder(filter);
      async function* lines() {
        for await (const e of exportEvents(store, {
          ...(q.chat_id !== undefined && { chatId: q.chat_id }),
          ...(q.user_id !== undefined && { userId: q.user_id }),
          ...(q.from !== undefined && { from: q.from }),
          ...(q.to !== undefined && { to: q.to }),
        })) {
          const line = JSON.stringify({
            position: Number(e.position),
            stream: e.streamName,
            revision: Number(e.revision),
            event_id: e.id,
            type: e.type,
            recorded_at: e.recordedAt.toISOString(),
            data: e.data,
          });
          manifest.add(line, e);
          yield `${line}\n`;
        }
        yield `${JSON.stringify(manifest.finish(key.privateKey, key.publicKeyPem))}\n`;
      }
      return reply.type('application/x-ndjson').send(Readable.from(lines()));
    },
  });
};
