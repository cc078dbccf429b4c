import Database from 'better-sqlite3';
import { discardUnfinishedBulkLoad } from './bulkLoad.ts';

/**
 * Read models are rebuildable from the log and their checkpoint commits with their
 * writes, so synchronous=NORMAL is enough: a lost tail is re-projected from the checkpoint.
 */
export const openReadDatabase = (path: string) => {
  discardUnfinishedBulkLoad(path);
  const db = new Database(path, { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // History pages of random chats touch pages all over the file: the default 2 MiB cache
  // re-read most of them (a 51-row page of 1 M messages: 80 → 70 µs of SQLite).
  db.pragma('cache_size = -65536');
  db.defaultSafeIntegers(false);
  db.exec(`
    CREATE TABLE IF NOT EXISTS projection_builds (
      name TEXT NOT NULL,
      build INTEGER NOT NULL,
      schema_version INTEGER NOT NULL,
      checkpoint INTEGER NOT NULL DEFAULT 0,
      state TEXT NOT NULL CHECK (state IN ('building', 'live', 'retired')),
      PRIMARY KEY (name, build)
    ) STRICT;
  `);
  return db;
};
