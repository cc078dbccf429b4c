import type { JSONEventData } from '@eventstore/db-client';
import { DuplicateEventIdError } from '../errors.ts';
import type { EventData, ExpectedRevision, StreamName } from '../eventStore.ts';
import { CORRELATION_ID_KEY, toEsdbEventData } from './esdbMapping.ts';

/** An append checked before any I/O, with the events as they will be sent. */
export type EsdbAppend = {
  streamName: StreamName;
  expectedRevision: ExpectedRevision;
  ids: readonly string[];
  events: readonly JSONEventData[];
};

/**
 * EventStoreDB event ids are UUIDs; the server formats them in lowercase when reading, so
 * only the canonical lowercase form round-trips to the same string. The nil UUID is refused.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isEventId = (id: unknown): id is string =>
  typeof id === 'string' && UUID.test(id) && id !== '00000000-0000-0000-0000-000000000000';

const isExpectedRevision = (value: unknown): value is ExpectedRevision =>
  value === 'no_stream' ||
  value === 'stream_exists' ||
  value === 'any' ||
  (typeof value === 'bigint' && value >= 0n && value < 2n ** 63n);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks an append and shapes it for the client, or throws before anything is sent:
 * RangeError for no events; TypeError for a bad stream name, expected revision, id, type,
 * payload or metadata; DuplicateEventIdError for an id twice in the append (EventStoreDB
 * would store both). Names and types starting with `$` are EventStoreDB's own: refused, as
 * they would never show on $all reads and subscriptions.
 */
export const toEsdbAppend = (
  streamName: StreamName,
  events: readonly EventData[],
  expectedRevision: ExpectedRevision,
): EsdbAppend => {
  if (typeof streamName !== 'string' || streamName.length === 0 || streamName.startsWith('$')) {
    throw new TypeError(`stream name must be a non-empty string not starting with '$', got ${JSON.stringify(streamName)}`);
  }
  if (!Array.isArray(events) || events.length === 0) throw new RangeError(`append to ${streamName}: no events`);
  if (!isExpectedRevision(expectedRevision)) {
    throw new TypeError(`append to ${streamName}: invalid expected revision ${String(expectedRevision)}`);
  }
  const ids = new Set<string>();
  for (const event of events) {
    if (!isEventId(event.id)) {
      throw new TypeError(`append to ${streamName}: event id must be a lowercase UUID, got ${JSON.stringify(event.id)}`);
    }
    if (ids.has(event.id)) throw new DuplicateEventIdError(event.id, streamName);
    ids.add(event.id);
    if (typeof event.type !== 'string' || event.type.length === 0 || event.type.startsWith('$')) {
      throw new TypeError(`append to ${streamName}: event type must be a non-empty string not starting with '$'`);
    }
    try {
      // Serialized here, once, so a bad payload fails this append alone and synchronously,
      // instead of inside the client's batch writer.
      JSON.stringify(event.data);
    } catch (error) {
      throw new TypeError(`append to ${streamName}: event ${event.id} data is not JSON-serializable`, { cause: error });
    }
    if (event.metadata !== undefined) {
      if (!isPlainObject(event.metadata)) {
        throw new TypeError(`append to ${streamName}: event ${event.id} metadata must be a plain object`);
      }
      if (Object.hasOwn(event.metadata, CORRELATION_ID_KEY)) {
        throw new TypeError(`append to ${streamName}: metadata key ${CORRELATION_ID_KEY} is reserved by the store`);
      }
      try {
        JSON.stringify(event.metadata);
      } catch (error) {
        throw new TypeError(`append to ${streamName}: event ${event.id} metadata is not JSON-serializable`, {
          cause: error,
        });
      }
    }
  }
  return { streamName, expectedRevision, ids: [...ids], events: events.map(toEsdbEventData) };
};
