import type { Database } from 'better-sqlite3';
import { EVENT_COLUMNS, EVENT_TUPLE_COLUMNS, type EventRow, type EventTuple } from './eventRow.ts';

/** Largest SQLite integer: stands for "no upper bound" in revision ranges. */
export const MAX_INT64 = 9_223_372_036_854_775_807n;
/** SQLite reads a negative LIMIT as "no limit". */
export const NO_LIMIT = -1;

/** The LIMIT for an optional `maxCount`. */
export const limitOf = (maxCount: number | undefined): number => {
  if (maxCount === undefined) return NO_LIMIT;
  if (!Number.isInteger(maxCount) || maxCount < 0) {
    throw new RangeError(`maxCount must be a non-negative integer, got ${maxCount}`);
  }
  return maxCount;
};

export type EventLocation = { stream_name: string; revision: bigint; position: bigint };

/** Every statement the store runs, prepared once per connection. */
export const prepareStatements = (db: Database) => ({
  begin: db.prepare('BEGIN IMMEDIATE'),
  commit: db.prepare('COMMIT'),
  rollback: db.prepare('ROLLBACK'),
  savepoint: db.prepare('SAVEPOINT append_to_stream'),
  release: db.prepare('RELEASE append_to_stream'),
  rollbackToSavepoint: db.prepare('ROLLBACK TO append_to_stream'),

  insertEvent: db.prepare<[string, bigint, string, string, string, string, number]>(
    `INSERT INTO events (stream_name, revision, event_id, type, data, metadata, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ),
  /** Last revision of a stream: one seek on the (stream_name, revision) index. */
  streamHead: db
    .prepare<[string], bigint>('SELECT revision FROM events WHERE stream_name = ? ORDER BY revision DESC LIMIT 1')
    .pluck(),
  locateEventId: db.prepare<[string], EventLocation>(
    'SELECT stream_name, revision, position FROM events WHERE event_id = ?',
  ),
  /** max(rowid) is answered from the b-tree's right edge, not a scan. */
  headPosition: db.prepare<[], bigint | null>('SELECT max(position) FROM events').pluck(),

  /** Rows as objects: the append path compares stored ids with them. */
  readStreamForwards: db.prepare<[string, bigint, number], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_name = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
  ),
  // The reads that become RecordedEvents return tuples (`.raw()`): see EventTuple.
  readStreamForwardsTuples: db
    .prepare<[string, bigint, number], EventTuple>(
      `SELECT ${EVENT_TUPLE_COLUMNS} FROM events WHERE stream_name = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
    )
    .raw(),
  readStreamBackwards: db
    .prepare<[string, bigint, number], EventTuple>(
      `SELECT ${EVENT_TUPLE_COLUMNS} FROM events WHERE stream_name = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
    )
    .raw(),
  readAllAfter: db
    .prepare<[bigint, number], EventTuple>(`SELECT ${EVENT_TUPLE_COLUMNS} FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`)
    .raw(),
  readEventById: db.prepare<[string], EventTuple>(`SELECT ${EVENT_TUPLE_COLUMNS} FROM events WHERE event_id = ?`).raw(),
});

export type Statements = ReturnType<typeof prepareStatements>;
