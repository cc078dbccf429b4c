import type { FastifyRequest } from 'fastify';
import { forbidden } from '../domain/errors.ts';
import { bearerOf, type Caller, type Tokens } from './tokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

/** preHandler for every `/v1/*` route but the dev token: a valid bearer token is a user. */
export const authenticate = (tokens: Tokens) => async (request: FastifyRequest) => {
  request.caller = await tokens.verify(bearerOf(request.headers.authorization));
};

export const requireAdmin = async (request: FastifyRequest) => {
  if (!request.caller.roles.includes('admin')) throw forbidden('admin role required');
};
