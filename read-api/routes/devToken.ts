import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.ts';
import type { RouteDeps } from '../apiDeps.ts';
import * as s from '../schemas.ts';

/** `POST /v1/dev/token`: a one-hour token for any user; 404 unless dev login is on. */
export const devTokenRoutes: FastifyPluginAsync<RouteDeps> = async (app, { config, tokens }) => {
  app.withTypeProvider<ZodTypeProvider>().post('/v1/dev/token', {
    schema: { body: s.devTokenBody, response: { 200: z.object({ token: z.string() }) } },
    handler: async (request) => {
      if (!config.devLogin) throw notFound('dev login is off');
      return { token: await tokens.issue(request.body.user_id, request.body.roles ?? []) };
    },
  });
};
