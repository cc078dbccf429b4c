import type { Database } from 'better-sqlite3';
import type { TableSpec } from '../projection.ts';
import { indexDdl, physicalTable } from './tableDdl.ts';

/**
 * The secondary indexes of a build's tables (IF NOT EXISTS: a no-op when they exist).
 * CREATE INDEX sorts in runs of cache_size: small runs sort faster and, with helper
 * threads, in parallel (1 M message ids: 1.4 s → 0.9 s). Both are restored after.
 */
export const createIndexes = (db: Database, name: string, build: number, tables: Record<string, TableSpec>): void => {
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('threads = 2');
  db.pragma('cache_size = -4000');
  try {
    for (const [table, spec] of Object.entries(tables)) if (spec.indexes?.length) db.exec(indexDdl(physicalTable(name, build, table), spec));
  } finally {
    db.pragma(`cache_size = ${cacheSize}`);
    db.pragma('threads = 0');
  }
};
