import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ChatError, errorCatalog, isChatError, type ErrorCode } from '../domain/errors.ts';

export const errorBody = (code: ErrorCode, message: string) => ({ error: { code, message } });

/** Fastify's own failures, in the protocol's codes. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'bad_request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_VALIDATION: 'bad_request',
};

/** Every error leaves as `{"error": {"code", "message"}}` (protocol section 2); nothing else leaks. */
export const registerErrorHandling = (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError | ChatError, request, reply) => {
    if (isChatError(error)) {
      if (error.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(error.retryAfterSeconds));
      return reply.code(error.httpStatus).send(errorBody(error.code, error.message));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issue = error.validation[0];
      const where = issue ? `${error.validationContext ?? 'body'}${issue.instancePath || ''}` : 'request';
      return reply.code(400).send(errorBody('bad_request', `${where}: ${issue?.message ?? 'invalid'}`));
    }
    const code = (error as FastifyError).code && fastifyCodes[(error as FastifyError).code];
    if (code) return reply.code(errorCatalog[code]).send(errorBody(code, error.message));
    const status = (error as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(400).send(errorBody('bad_request', error.message));
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(503).send(errorBody('unavailable', 'the server could not complete the request'));
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)));
};
