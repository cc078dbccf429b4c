import type { Database } from 'better-sqlite3';
import type { Projection } from '../projection.ts';
import type { Write } from '../write.ts';
import { openReadDatabase } from './openReadDatabase.ts';
import { createIndexes } from './createIndexes.ts';
import { dropDdl, indexDdl, liveTable, physicalTable, tableDdl } from './tableDdl.ts';
import { createTableWriter, type TableWriter } from './writeStatements.ts';

export type BuildState = 'building' | 'live' | 'retired';
export type BuildInfo = { name: string; build: number; schemaVersion: number; checkpoint: bigint; state: BuildState };

/** One projection build's share of a batch: its writes and the checkpoint they bring it to. */
export type BuildBatch = { name: string; build: number; writes: readonly Write[]; checkpoint: bigint };

/**
 * Read models in SQLite. Each projection build has its own tables
 * (`<name>_<build>_<table>`), so a new build fills beside the live one and the switch
 * is one row update. A batch's writes and checkpoints commit in one transaction:
 * nothing is applied twice after a crash.
 */
export const createSqliteReadStore = (path: string) => {
  const db: Database = openReadDatabase(path);
  const selectBuilds = db.prepare('SELECT name, build, schema_version, checkpoint, state FROM projection_builds ORDER BY name, build');
  const insertBuild = db.prepare("INSERT INTO projection_builds (name, build, schema_version, checkpoint, state) VALUES (?, ?, ?, 0, 'building')");
  const setCheckpoint = db.prepare('UPDATE projection_builds SET checkpoint = ? WHERE name = ? AND build = ?');
  const setState = db.prepare('UPDATE projection_builds SET state = ? WHERE name = ? AND build = ?');
  const retireLive = db.prepare("UPDATE projection_builds SET state = 'retired' WHERE name = ? AND state = 'live'");
  const deleteBuild = db.prepare('DELETE FROM projection_builds WHERE name = ? AND build = ?');

  /** Physical table names of the live builds, read on every query: the switch is visible at once. */
  let live = new Map<string, number>();

  const builds = (): BuildInfo[] =>
    (selectBuilds.all() as { name: string; build: number; schema_version: number; checkpoint: number; state: BuildState }[]).map((r) => ({
      name: r.name,
      build: r.build,
      schemaVersion: r.schema_version,
      checkpoint: BigInt(r.checkpoint),
      state: r.state,
    }));

  const refreshLive = () => {
    live = new Map(builds().filter((b) => b.state === 'live').map((b) => [b.name, b.build]));
  };
  refreshLive();

  /** Table writers per build (`<name>_<build>`), then per logical table. */
  const writers = new Map<string, Map<string, TableWriter>>();
  const writersOf = (name: string, build: number) => {
    const key = physicalTable(name, build, '');
    let tables = writers.get(key);
    if (!tables) writers.set(key, (tables = new Map()));
    return tables;
  };

  const applyBatch = db.transaction((batches: readonly BuildBatch[]) => {
    for (const { name, build, writes, checkpoint } of batches) {
      const tables = writersOf(name, build);
      for (const write of writes) {
        let run = tables.get(write.table);
        if (!run) tables.set(write.table, (run = createTableWriter(db, physicalTable(name, build, write.table))));
        run(write);
      }
      setCheckpoint.run(checkpoint, name, build);
    }
  });

  return {
    db,
    builds,
    liveBuild: (name: string): number | undefined => live.get(name),
    /** The live build of every read model: a new object after each switch or drop. */
    liveBuilds: (): ReadonlyMap<string, number> => live,

    /** Physical name of a live read model's table, for queries. */
    table: (name: string, table: string): string => liveTable(live, name, table),

    /**
     * A new, empty build of the projection, beside any live one. With `deferIndexes`, its
     * secondary indexes wait for `createIndexes` (a bulk load then costs half as much).
     */
    createBuild(projection: Projection, { deferIndexes = false } = {}): number {
      const build = Math.max(0, ...builds().filter((b) => b.name === projection.name).map((b) => b.build)) + 1;
      db.transaction(() => {
        insertBuild.run(projection.name, build, projection.version);
        for (const [table, spec] of Object.entries(projection.tables)) {
          const physical = physicalTable(projection.name, build, table);
          db.exec(tableDdl(physical, spec));
          if (!deferIndexes && spec.indexes?.length) db.exec(indexDdl(physical, spec));
        }
      }).immediate();
      return build;
    },

    /** The build's secondary indexes, if not there yet. */
    createIndexes(projection: Pick<Projection, 'name' | 'tables'>, build: number) {
      createIndexes(db, projection.name, build, projection.tables);
    },

    /** Switch reads to this build; the previous live one is retired (kept until dropped). */
    markLive(name: string, build: number) {
      db.transaction(() => {
        retireLive.run(name);
        setState.run('live', name, build);
      }).immediate();
      refreshLive();
    },

    dropBuild(projection: Projection, build: number) {
      db.transaction(() => {
        for (const table of Object.keys(projection.tables)) db.exec(dropDdl(physicalTable(projection.name, build, table)));
        deleteBuild.run(projection.name, build);
      }).immediate();
      writers.delete(physicalTable(projection.name, build, ''));
      refreshLive();
    },

    // IMMEDIATE: with a writer thread on the same file, the write lock is waited for at BEGIN.
    applyBatch: (batches: readonly BuildBatch[]) => applyBatch.immediate(batches),

    close: () => db.close(),
  };
};

export type SqliteReadStore = ReturnType<typeof createSqliteReadStore>;
