import Fastify, { type preHandlerAsyncHookHandler } from 'fastify';
import swagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ApiDeps, RouteDeps } from './apiDeps.ts';
import { authenticate } from './auth.ts';
import { consistentReads, type FreshReads } from './consistentReads.ts';
import { registerErrorHandling } from './errorHandler.ts';
import { adminRoutes } from './routes/admin.ts';
import { exportRoutes } from './routes/export.ts';
import { chatRoutes } from './routes/chats.ts';
import { devTokenRoutes } from './routes/devToken.ts';
import { groupRoutes } from './routes/groups.ts';
import { messageRoutes } from './routes/messages.ts';
import { operationsRoutes } from './routes/operations.ts';
import { presenceRoutes } from './routes/presence.ts';

/** A read of one chat waits for that chat's writes only (`chat_id` in the path or query, a group's `id`). */
const freshBeforeRead =
  (fresh: FreshReads): preHandlerAsyncHookHandler =>
  async (request) => {
    const where = { ...(request.query as object), ...(request.params as object) } as { chat_id?: unknown; id?: unknown };
    const chatId = where.chat_id ?? where.id;
    await fresh(typeof chatId === 'string' ? chatId : undefined);
  };

/** JSON bodies: a 16 KiB content, even fully \u-escaped, fits. Media uploads set their own limit. */
export const JSON_BODY_LIMIT = 128 * 1024;

/** The REST API of protocol v1 as one fastify app; the gateway registers its WebSocket route on it. */
export const buildApi = async (deps: ApiDeps) => {
  const app = Fastify({
    logger: deps.config.logLevel === 'silent' ? false : { level: deps.config.logLevel },
    bodyLimit: JSON_BODY_LIMIT,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  deps.metrics.instrument(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Chat protocol v1', version: '1.0.0', description: 'REST side of the chat backend (protocol.md section 4).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  const routeDeps: RouteDeps = {
    ...deps,
    auth: authenticate(deps.tokens),
    fresh: freshBeforeRead(consistentReads(deps.readModels, deps.config.readWaitMs)),
  };
  for (const routes of [devTokenRoutes, messageRoutes, groupRoutes, chatRoutes, presenceRoutes, adminRoutes, exportRoutes, operationsRoutes])
    await app.register(routes, routeDeps);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
};
