import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { badRequest } from '../../domain/errors.ts';
import type { RouteDeps } from '../apiDeps.ts';
import * as s from '../schemas.ts';
import { plainJson } from '../plainJson.ts';

/** The inbox and the read watermark. */
export const chatRoutes: FastifyPluginAsync<RouteDeps> = async (app, { commands, readModels, auth, fresh }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/v1/chats', {
    schema: { querystring: s.inboxQuery, response: { 200: s.inboxSchema } },
    serializerCompiler: plainJson,
    onRequest: auth,
    preHandler: fresh,
    handler: async (request) => {
      const page = await readModels.queries.inbox(request.caller.userId, {
        limit: request.query.limit,
        ...(request.query.cursor !== undefined && { cursor: request.query.cursor }),
      });
      if (!page) throw badRequest('invalid cursor');
      return page;
    },
  });

  r.post('/v1/chats/:chat_id/read', {
    schema: { params: s.chatIdParams, body: s.readBody },
    onRequest: auth,
    handler: async (request, reply) => {
      await commands.markRead({ userId: request.caller.userId, chatId: request.params.chat_id, seq: request.body.seq });
      return reply.code(204).send();
    },
  });
};
