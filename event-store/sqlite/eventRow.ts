import type { RecordedEvent } from '../eventStore.ts';

/** A row of `events` as better-sqlite3 returns it with safe integers on. */
export type EventRow = {
  position: bigint;
  stream_name: string;
  revision: bigint;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: bigint;
};

export const EVENT_COLUMNS = 'position, stream_name, revision, event_id, type, data, metadata, recorded_at';

/**
 * A row read with `.raw()` for a RecordedEvent: no per-row object with eight named
 * properties to build, which is much of the cost of reading the log. Metadata `{}` (almost
 * every event) comes back as NULL and the time as a double: two JS values fewer to make.
 */
export const EVENT_TUPLE_COLUMNS = "position, stream_name, revision, event_id, type, data, nullif(metadata, '{}'), CAST(recorded_at AS REAL)";
export type EventTuple = [position: bigint, streamName: string, revision: bigint, eventId: string, type: string, data: string, metadata: string | null, recordedAt: number];

export const toRecordedEvent = (row: EventTuple): RecordedEvent => ({
  id: row[3],
  type: row[4],
  data: JSON.parse(row[5]) as unknown,
  metadata: row[6] === null ? {} : (JSON.parse(row[6]) as Record<string, unknown>),
  streamName: row[1],
  revision: row[2],
  position: row[0],
  recordedAt: new Date(row[7]),
});
