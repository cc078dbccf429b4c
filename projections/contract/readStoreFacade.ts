import type { Projection } from '../projection.ts';
import { createSqliteQueries, type ReadQueries } from '../sqlite/sqliteQueries.ts';
import { createSqliteReadStore, type BuildBatch, type BuildInfo } from '../sqlite/sqliteReadStore.ts';
import { physicalTable } from '../sqlite/tableDdl.ts';
import type { Row } from '../write.ts';

/** The queries of `createSqliteQueries`, each answering a promise: what every read store offers. */
export type AsyncQueries = { [K in keyof ReadQueries]: (...args: Parameters<ReadQueries[K]>) => Promise<ReturnType<ReadQueries[K]>> };

/**
 * A read store as the contract sees it, independent of the database: the build
 * lifecycle, atomic-or-replayable batches, a dump of a build's table, and the queries.
 */
export type ReadStoreFacade = {
  builds(): Promise<BuildInfo[]>;
  liveBuild(name: string): Promise<number | undefined>;
  createBuild(projection: Projection, options?: { deferIndexes?: boolean }): Promise<number>;
  createIndexes(projection: Projection, build: number): Promise<void>;
  /** Column lists of a build table's secondary indexes (not the primary key's), sorted. */
  secondaryIndexes(name: string, build: number, table: string): Promise<string[][]>;
  markLive(name: string, build: number): Promise<void>;
  dropBuild(projection: Projection, build: number): Promise<void>;
  applyBatch(batches: readonly BuildBatch[]): Promise<void>;
  /** Every row of a build's table, every column, without store-internal fields. Order unspecified. */
  rows(name: string, build: number, table: string): Promise<Row[]>;
  /** Whether the physical table/collection of a build exists. */
  tableExists(name: string, build: number, table: string): Promise<boolean>;
  queries: AsyncQueries;
  close(): Promise<void>;
};

/** Wraps every function of an object so that it answers a promise. */
export const asyncQueries = (queries: ReadQueries): AsyncQueries =>
  Object.fromEntries(Object.entries(queries).map(([k, f]) => [k, async (...args: unknown[]) => (f as (...a: unknown[]) => unknown)(...args)])) as AsyncQueries;

/** The SQLite read store (synchronous) behind the async facade. */
export const sqliteFacade = (path: string): ReadStoreFacade => {
  const store = createSqliteReadStore(path);
  return {
    builds: async () => store.builds(),
    liveBuild: async (name) => store.liveBuild(name),
    createBuild: async (projection, options) => store.createBuild(projection, options),
    createIndexes: async (projection, build) => store.createIndexes(projection, build),
    secondaryIndexes: async (name, build, table) => {
      const indexes = store.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name NOT LIKE 'sqlite_autoindex%'")
        .all(physicalTable(name, build, table)) as { name: string }[];
      return indexes
        .map((i) => (store.db.prepare(`PRAGMA index_info("${i.name.replaceAll('"', '""')}")`).all() as { seqno: number; name: string }[]).sort((a, b) => a.seqno - b.seqno).map((c) => c.name))
        .sort((a, b) => a.join().localeCompare(b.join()));
    },
    markLive: async (name, build) => store.markLive(name, build),
    dropBuild: async (projection, build) => store.dropBuild(projection, build),
    applyBatch: async (batches) => store.applyBatch(batches),
    rows: async (name, build, table) => store.db.prepare(`SELECT * FROM "${physicalTable(name, build, table)}"`).all() as Row[],
    tableExists: async (name, build, table) =>
      store.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(physicalTable(name, build, table)) !== undefined,
    queries: asyncQueries(createSqliteQueries(store)),
    close: async () => {
      store.close();
    },
  };
};
