import type { FastifyReply } from 'fastify';

/**
 * For the hot read routes: the response is built by our own queries in the documented
 * shape, so it is sent with JSON.stringify instead of being checked by zod again (a
 * tenth of a history read). The schema still documents the route in /openapi.json.
 */
export const plainJson = () => (data: unknown) => JSON.stringify(data);

/** The content type fastify gives a serialized JSON answer. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Sends text that already is the route's JSON answer (built by the read store), as
 * fastify would send it serialized: same content type, no serializer run.
 */
export const sendJsonText = (reply: FastifyReply, json: string) => reply.type(JSON_CONTENT_TYPE).send(json);
