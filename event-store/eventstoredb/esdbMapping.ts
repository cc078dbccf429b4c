import {
  ANY,
  type AllStreamResolvedEvent,
  NO_STREAM,
  STREAM_EXISTS,
  type AppendExpectedRevision,
  type JSONEventData,
  type Position,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import type { EventData, ExpectedRevision, RecordedEvent } from '../eventStore.ts';
import type { LogEntry } from './logPage.ts';
import { isVisible, type StreamFilter } from './streamFilter.ts';

/**
 * Port ⇄ @eventstore/db-client values. Everything here is pure. Positions and revisions stay
 * bigint end to end: the client already hands out bigints, and nothing here goes through Number.
 */

/** The metadata key the `$by_correlation_id` system projection indexes (`$bc-<value>` streams). */
export const CORRELATION_ID_KEY = '$correlationId';

/** EventStoreDB's own "no position" markers: -1 as int64, or its unsigned reading 2^64 − 1. */
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * The commit position of an event, the port's `position`. Events appended through gRPC are
 * never in an explicit transaction, so their commit and prepare positions are equal and the
 * commit position alone identifies them. Undefined when the server gave none (servers before
 * 22.6 on stream reads, or "no position" markers).
 */
export const commitPositionOf = (position: Position | undefined): bigint | undefined => {
  if (position === undefined) return undefined;
  const { commit } = position;
  return typeof commit === 'bigint' && commit >= 0n && commit <= MAX_INT64 ? commit : undefined;
};

/** A port position as a client read position: commit = prepare, as for every gRPC-written event. */
export const toReadPosition = (position: bigint): Position => ({ commit: position, prepare: position });

export const toEsdbExpectedRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return expected;
  }
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

/**
 * The event as sent: a JSON event whose EventStoreDB id is the port's id (a retried append is
 * idempotent at the server), and whose metadata carries `$correlationId` = its own id so the
 * `$by_correlation_id` projection indexes it under `$bc-<id>` (see README: readEventById).
 * Expects an event already checked by `toEsdbAppend`.
 */
export const toEsdbEventData = (event: EventData): JSONEventData => ({
  id: event.id,
  contentType: 'application/json',
  type: event.type,
  // JSON has no `undefined`: stored (and read back) as null, as in the SQLite adapter.
  data: (event.data === undefined ? null : event.data) as JSONEventData['data'],
  metadata: { ...event.metadata, [CORRELATION_ID_KEY]: event.id },
});

/** Metadata as the port shows it: without the `$correlationId` this adapter added. */
const portMetadataOf = (id: string, metadata: unknown): Record<string, unknown> => {
  if (!isPlainObject(metadata)) return {};
  if (metadata[CORRELATION_ID_KEY] !== id) return metadata;
  const { [CORRELATION_ID_KEY]: _ownId, ...rest } = metadata;
  return rest;
};

/**
 * A recorded event as the port shows it. Throws when the server did not say where the event
 * is in $all: every port read returns positions, so a server without them (before 22.6 on
 * stream reads) cannot back this adapter.
 */
export const toRecordedEvent = (event: EsdbRecordedEvent): RecordedEvent => {
  const position = commitPositionOf(event.position);
  if (position === undefined) {
    throw new Error(
      `EventStoreDB gave no $all position for event ${event.id} in ${event.streamId}: this adapter needs a server ≥ 22.6`,
    );
  }
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: portMetadataOf(event.id, event.metadata),
    streamName: event.streamId,
    revision: event.revision,
    position,
    recordedAt: event.created,
  };
};

/** One event read from $all (a read or a subscription), placed and, when the port shows it, mapped. */
export const toLogEntry = (filter: StreamFilter, resolved: AllStreamResolvedEvent): LogEntry => {
  const { event } = resolved;
  if (!event) throw new Error('EventStoreDB sent a $all entry without an event');
  const position = commitPositionOf(event.position);
  if (position === undefined) throw new Error(`EventStoreDB sent $all event ${event.id} without a position`);
  return {
    raw: event.position,
    position,
    visible: isVisible(filter, event.streamId, event.type) ? toRecordedEvent(event) : undefined,
  };
};
