import type { Database } from 'better-sqlite3';

/** Bump when the DDL below changes, and add a migration step for the previous version. */
export const SCHEMA_VERSION = 1;

/**
 * One append-only table. `position` is the rowid, so the global log order is the
 * clustered key and "read after position" is a range scan. Rows are never deleted,
 * so plain rowid allocation (max + 1) is monotonic without AUTOINCREMENT's extra write.
 * `event_id` is unique across the whole store: it is the permanent dedup key.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  stream_name TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  event_id    TEXT    NOT NULL UNIQUE,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (stream_name, revision)
) STRICT;
`;

export const ensureSchema = (db: Database): void => {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new Error(`event store schema version ${version} is newer than this code (${SCHEMA_VERSION})`);
  }
  if (version === SCHEMA_VERSION) return;
  // IMMEDIATE so two processes opening a fresh file don't race on the DDL.
  db.transaction(() => {
    db.exec(DDL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
};
