import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteDeps } from '../apiDeps.ts';
import * as s from '../schemas.ts';

/** Presence of users who share a chat with the caller; the others are left out. */
export const presenceRoutes: FastifyPluginAsync<RouteDeps> = async (app, { readModels, presence, auth, fresh }) => {
  app.withTypeProvider<ZodTypeProvider>().get('/v1/presence', {
    schema: { querystring: s.presenceQuery, response: { 200: s.presenceSchema } },
    onRequest: auth,
    preHandler: fresh,
    handler: async (request) => {
      const visible = new Set(await readModels.queries.contactsAmong(request.caller.userId, request.query.user_ids));
      visible.add(request.caller.userId);
      return { presence: await Promise.all(request.query.user_ids.filter((u) => visible.has(u)).map((u) => presence.view(u))) };
    },
  });
};
