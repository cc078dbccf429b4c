import type { FastifyReply } from 'fastify';
import type { JsonBody } from '../projections/readSide.ts';
import { jsonTextOf } from '../projections/sqlite/jsonSlots.ts';

/**
 * For the hot read routes: the response is built by our own queries in the documented
 * shape, so it is sent with JSON.stringify instead of being checked by zod again (a
 * tenth of a history read). The schema still documents the route in /openapi.json.
 * A Buffer passes through: fastify sends one as it is only when its memory is an
 * ArrayBuffer, and serializes one over shared memory (sendJsonBody's).
 */
export const plainJson = () => (data: unknown) => (Buffer.isBuffer(data) ? (data as unknown as string) : JSON.stringify(data));

/** The content type fastify gives a serialized JSON answer. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Sends what already is the route's JSON answer (built by the read store), as fastify
 * would send it serialized: same content type, nothing built again. Bytes lent by the
 * store go back once the answer is written out or the connection is gone.
 */
export const sendJsonBody = (reply: FastifyReply, json: JsonBody) => {
  reply.type(JSON_CONTENT_TYPE);
  if (typeof json === 'string') return reply.send(json);
  // Closed already: no 'close' to come. Sent as text, as fastify would answer a gone client.
  if (reply.raw.destroyed) return reply.send(jsonTextOf(json));
  reply.raw.once('close', json.release);
  return reply.send(json.bytes);
};
