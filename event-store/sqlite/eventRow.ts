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

export const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  id: row.event_id,
  type: row.type,
  data: JSON.parse(row.data) as unknown,
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  streamName: row.stream_name,
  revision: row.revision,
  position: row.position,
  recordedAt: new Date(Number(row.recorded_at)),
});
