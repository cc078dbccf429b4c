import { MongoClient, type AnyBulkWriteOperation, type Db, type Document } from 'mongodb';
import type { Projection, TableSpec } from '../projection.ts';
import type { BuildBatch, BuildInfo, BuildState } from '../sqlite/sqliteReadStore.ts';
import { physicalTable } from '../sqlite/tableDdl.ts';
import type { Row, Scalar, Write } from '../write.ts';

/**
 * Read models in MongoDB (tested against FerretDB 1.24). Same layout as the SQLite
 * store: each projection build has its own collections (`<name>_<build>_<table>`),
 * with a unique index on the primary key and one index per secondary index of its
 * TableSpec, and a document in `projection_builds` (state building|live|retired,
 * checkpoint, and the table specs, so any process can apply writes to the build).
 *
 * ## No transactions: writes first, then checkpoints
 *
 * `applyBatch` writes every op of the batch, then saves the checkpoints. FerretDB has
 * no multi-document transactions and read models should not need them. Ops are sent
 * as one ordered bulkWrite per collection (collections in parallel): the final state
 * of a collection depends only on the ops on that collection, in their order, since
 * no op reads another collection, so the order of ops *across* collections does not
 * matter for the state once the batch is written; the order of ops on one document
 * (same collection) is kept. Readers of the projector wait for its in-memory position,
 * which moves only after `applyBatch` resolves.
 *
 * After a crash between the writes and the checkpoints (or in the middle of the
 * writes: each collection then holds some prefix of its ops, so each document some
 * prefix of *its* ops), the projector replays the log from the old checkpoint. This
 * converges to the state of applying each op once, per document:
 * - `put` and `delete` are absolute: the document after them does not depend on the
 *   document before (replaced whole, or gone; a key-prefix delete removes every
 *   matching document). Once a document's replayed ops reach its first put/delete,
 *   both runs are in the same state and apply the same ops from there.
 * - Before that (or without one), a document that exists sees `patch`/`upsert.set`
 *   as per-field assignments (the last one in the replayed range wins in both runs)
 *   and `upsert.max` as a per-field max, which is idempotent and commutative: the
 *   field ends as max(value at checkpoint, every max after it) = the same value, or as
 *   the last set followed by the maxes after it.
 * - The one non-converging shape is a `patch` of a document that did not exist at
 *   the checkpoint, followed by an `upsert` creating it, both in the replayed range:
 *   the patch was a no-op once and applies on replay. No projection does that: patches
 *   target rows that exist at that point of the log (messages, members: created by a
 *   `put`, which the replay reapplies first), and `watermarks` only has upserts.
 * - `inc` is not idempotent: applied twice it counts twice. No projection uses it, and
 *   this adapter REFUSES it (`applyBatch` throws before writing anything) rather than
 *   guarding it by position; a projection needing a counter must derive it at query
 *   time (as unread counts are) or this adapter must learn to store per-document
 *   positions first.
 *
 * Missing vs null: FerretDB 1.24 drops null values from `$setOnInsert` (an upsert's
 * text defaults), so a column may be absent instead of null. Every query treats the
 * two alike (`{ f: null }` and `$ne: null` match missing fields in MongoDB too).
 *
 * `projections/contract/readStoreContract.ts` tests all this (replay of the last k
 * batches, and of a batch whose writes were cut off midway).
 */

type BuildDoc = {
  _id: string;
  name: string;
  build: number;
  schema_version: number;
  checkpoint: unknown;
  state: BuildState;
  /** The table specs as JSON: FerretDB 1.24 refuses nested arrays (index column lists) in documents. */
  tables: string;
};

const BUILDS = 'projection_builds';

const toBigInt = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(String(v ?? 0)));

/** Index spec of a column list, ascending. */
const indexOf = (cols: readonly string[]): Record<string, 1> => Object.fromEntries(cols.map((c) => [c, 1 as const]));

/** Default of a column SQLite would fill in: integers 0 (so `max` starts from zero), text null. */
const defaultOf = (spec: TableSpec, column: string): Scalar => (spec.columns[column] === 'integer' ? 0 : null);

export class UnsupportedWriteError extends Error {
  override name = 'UnsupportedWriteError';
}

/**
 * A document's `_id` is its primary key (as JSON of the key's values): every write that
 * names a whole key filters on `_id`, which every server answers from its primary index
 * (FerretDB 1.24 on SQLite pushes down no other filter: by field, each write was a scan).
 */
const idOf = (spec: TableSpec, values: Row): string | undefined =>
  spec.primaryKey.every((c) => values[c] !== undefined) ? JSON.stringify(spec.primaryKey.map((c) => values[c])) : undefined;

/** By `_id` when the key is whole, else by its fields (a key-prefix delete). */
const filterOf = (spec: TableSpec, key: Row): Document => {
  const _id = idOf(spec, key);
  return _id !== undefined ? { _id } : { ...key };
};

/** The MongoDB op of one portable write, for a collection with this spec. */
export const toMongoOp = (write: Write, spec: TableSpec): AnyBulkWriteOperation<Document> => {
  // An empty key would be `deleteMany({})` / an update of any document: never what a projection means.
  if (write.op !== 'put' && Object.keys(write.key).length === 0) throw new UnsupportedWriteError(`${write.op} on ${write.table} without a key`);
  switch (write.op) {
    case 'put': {
      const row: Document = {};
      for (const c of Object.keys(spec.columns)) row[c] = write.row[c] ?? defaultOf(spec, c);
      for (const [c, v] of Object.entries(write.row)) row[c] = v;
      const _id = idOf(spec, row as Row)!; // every column is in `row` (defaults included)
      return { replaceOne: { filter: { _id } as Document, replacement: { _id, ...row }, upsert: true } };
    }
    case 'patch':
      return { updateOne: { filter: filterOf(spec, write.key), update: { $set: { ...write.set } }, upsert: false } };
    case 'delete':
      return { deleteMany: { filter: filterOf(spec, write.key) } };
    case 'upsert': {
      if (write.inc && Object.keys(write.inc).length > 0)
        throw new UnsupportedWriteError(
          `upsert with inc on ${write.table} (${Object.keys(write.inc).join(', ')}): the MongoDB read store writes without transactions, and an inc replayed after a crash would count twice; derive the counter at query time instead`,
        );
      const set = write.set ?? {};
      const max = write.max ?? {};
      const touched = new Set([...Object.keys(set), ...Object.keys(max)]);
      const onInsert: Document = { ...write.key };
      for (const c of Object.keys(spec.columns)) if (!(c in write.key) && !touched.has(c)) onInsert[c] = defaultOf(spec, c);
      const update: Document = { $setOnInsert: onInsert };
      if (Object.keys(set).length > 0) update.$set = { ...set };
      if (Object.keys(max).length > 0) update.$max = { ...max };
      return { updateOne: { filter: filterOf(spec, write.key), update, upsert: true } };
    }
  }
};

export const createMongoReadStore = async ({ url, dbName, client: given }: { url: string; dbName: string; client?: MongoClient }) => {
  const client = given ?? new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  if (!given) await client.connect();
  const db: Db = client.db(dbName);
  const buildsCollection = db.collection<BuildDoc>(BUILDS);

  /** Live build per projection, cached: queries resolve collection names synchronously, per call. */
  let live = new Map<string, number>();
  /** Table specs per `<name>_<build>`, from the builds collection. */
  const specs = new Map<string, Record<string, TableSpec>>();

  // FerretDB 1.24 can lose one of two concurrent updates of one document (read, modify,
  // replace): a checkpoint save once undid markLive under load. Build documents are
  // therefore written one at a time, by `_id` (the only filter it pushes down).
  let buildWrites: Promise<unknown> = Promise.resolve();
  const serially = <T>(write: () => Promise<T>): Promise<T> => {
    const done = buildWrites.then(write);
    buildWrites = done.catch(() => {});
    return done;
  };
  const buildId = (name: string, build: number) => `${name}_${build}`;

  const buildDocs = () => buildsCollection.find({}).sort({ name: 1, build: 1 }).toArray();

  const builds = async (): Promise<BuildInfo[]> =>
    (await buildDocs()).map((d) => ({ name: d.name, build: d.build, schemaVersion: d.schema_version, checkpoint: toBigInt(d.checkpoint), state: d.state }));

  /** Re-reads the builds: the live map (the highest live build wins, see markLive) and the specs. */
  const refresh = async () => {
    const docs = await buildDocs();
    const next = new Map<string, number>();
    for (const d of docs) {
      specs.set(`${d.name}_${d.build}`, JSON.parse(d.tables) as Record<string, TableSpec>);
      if (d.state === 'live' && (next.get(d.name) ?? -1) < d.build) next.set(d.name, d.build);
    }
    live = next;
  };
  await refresh();

  const specOf = async (name: string, build: number): Promise<Record<string, TableSpec>> => {
    let tables = specs.get(`${name}_${build}`);
    if (!tables) {
      await refresh();
      tables = specs.get(`${name}_${build}`);
    }
    if (!tables) throw new Error(`read model ${name} has no build ${build}`);
    return tables;
  };

  const indexName = (cols: readonly string[]) => `ix_${cols.join('_')}`;
  /** The declared secondary indexes, and none other: one a former version declared is dropped (as in SQLite). */
  const createIndexes = async (projection: Projection, build: number) => {
    for (const [table, spec] of Object.entries(projection.tables)) {
      const collection = db.collection(physicalTable(projection.name, build, table));
      const declared = new Set((spec.indexes ?? []).map(indexName));
      const present = (await collection.listIndexes().toArray().catch(() => [])) as { name: string }[];
      for (const { name } of present) if (name.startsWith('ix_') && !declared.has(name)) await collection.dropIndex(name);
      for (const cols of spec.indexes ?? []) await collection.createIndex(indexOf(cols), { name: indexName(cols) });
    }
  };

  return {
    db,
    client,
    builds,
    refresh,
    liveBuild: (name: string): number | undefined => live.get(name),

    /** Physical name of a live read model's collection, for queries. */
    table(name: string, table: string): string {
      const build = live.get(name);
      if (build === undefined) throw new Error(`read model ${name} has no live build`);
      return physicalTable(name, build, table);
    },

    /** The spec of a live read model's table (its indexes), for queries. */
    tableSpec(name: string, table: string): TableSpec | undefined {
      const build = live.get(name);
      return build === undefined ? undefined : specs.get(`${name}_${build}`)?.[table];
    },

    /**
     * A new, empty build of the projection, beside any live one: its collections with
     * the unique primary-key index (every write finds its document by it). With
     * `deferIndexes`, the secondary indexes wait for `createIndexes` (a bulk load from
     * scratch then maintains one index instead of all), as in the SQLite store.
     */
    async createBuild(projection: Projection, { deferIndexes = false }: { deferIndexes?: boolean } = {}): Promise<number> {
      const existing = (await builds()).filter((b) => b.name === projection.name).map((b) => b.build);
      const build = Math.max(0, ...existing) + 1;
      // The build document first: a crash after it leaves a `building` build, dropped at the next start.
      await serially(() => buildsCollection.insertOne({
        _id: buildId(projection.name, build),
        name: projection.name,
        build,
        schema_version: projection.version,
        checkpoint: 0,
        state: 'building',
        tables: JSON.stringify(projection.tables),
      }));
      specs.set(`${projection.name}_${build}`, projection.tables);
      for (const [table, spec] of Object.entries(projection.tables))
        await db.collection(physicalTable(projection.name, build, table)).createIndex(indexOf(spec.primaryKey), { unique: true, name: 'pk' });
      if (!deferIndexes) await createIndexes(projection, build);
      return build;
    },

    /** The secondary indexes of every table of the build (idempotent). */
    createIndexes: (projection: Projection, build: number) => createIndexes(projection, build),

    /**
     * Switch reads to this build; the previous live one is retired (kept until dropped).
     * Two updates without a transaction: the new build goes live first, then the others
     * are retired; between the two, readers take the highest live build, i.e. the new one.
     */
    async markLive(name: string, build: number) {
      await serially(async () => {
        await buildsCollection.updateOne({ _id: buildId(name, build) }, { $set: { state: 'live' } });
        await buildsCollection.updateMany({ name, state: 'live', build: { $ne: build } }, { $set: { state: 'retired' } });
      });
      await refresh();
    },

    async dropBuild(projection: Projection, build: number) {
      for (const table of Object.keys(projection.tables)) {
        const physical = physicalTable(projection.name, build, table);
        if ((await db.listCollections({ name: physical }, { nameOnly: true }).toArray()).length > 0) await db.dropCollection(physical);
      }
      await serially(() => buildsCollection.deleteOne({ _id: buildId(projection.name, build) }));
      specs.delete(`${projection.name}_${build}`);
      await refresh();
    },

    /**
     * Writes every op (one ordered bulkWrite per collection, collections in parallel),
     * THEN saves every build's checkpoint. See the file comment for why a crash between
     * the two is harmless. An `inc` anywhere refuses the whole batch before any write.
     */
    async applyBatch(batches: readonly BuildBatch[]): Promise<void> {
      const perCollection = new Map<string, AnyBulkWriteOperation<Document>[]>();
      for (const { name, build, writes: all } of batches) {
        const tables = all.length > 0 ? await specOf(name, build) : {};
        for (const write of withoutOverwritten(all, tables)) {
          const spec = tables[write.table];
          if (!spec) throw new Error(`read model ${name} has no table ${write.table}`);
          const physical = physicalTable(name, build, write.table);
          let ops = perCollection.get(physical);
          if (!ops) perCollection.set(physical, (ops = []));
          ops.push(toMongoOp(write, spec));
        }
      }
      await Promise.all([...perCollection].map(([physical, ops]) => db.collection(physical).bulkWrite(ops, { ordered: true })));
      await serially(() =>
        Promise.all(
          batches.map(({ name, build, checkpoint }) =>
            buildsCollection.updateOne({ _id: buildId(name, build) }, { $set: { checkpoint: checkpointValue(checkpoint) } }),
          ),
        ),
      );
    },

    /**
     * Every document of a build's table, without `_id`, every column (tests, admin).
     * A column missing from a document reads as null: FerretDB 1.24 drops null values
     * from `$setOnInsert`, and MongoDB matches a missing field like a null one anyway.
     */
    async rows(name: string, build: number, table: string): Promise<Row[]> {
      const spec = (await specOf(name, build))[table];
      const docs = await db.collection(physicalTable(name, build, table)).find({}, { projection: { _id: 0 } }).toArray();
      return docs.map((d) => {
        const row: Row = {};
        for (const c of Object.keys(spec?.columns ?? {})) row[c] = (d[c] as Scalar | undefined) ?? null;
        for (const [c, v] of Object.entries(d)) row[c] = v as Scalar;
        return row;
      });
    },

    close: () => (given ? Promise.resolve() : client.close()),
  };
};

/** The document a write targets, when it names one by its whole primary key. */
const documentOf = (write: Write, spec: TableSpec | undefined): string | undefined => {
  if (!spec) return undefined;
  const source = write.op === 'put' ? write.row : write.key;
  if (spec.primaryKey.some((c) => source[c] === undefined)) return undefined;
  return `${write.table}\n${JSON.stringify(spec.primaryKey.map((c) => source[c]))}`;
};

/**
 * Drops every write that a later `put` of the same document replaces anyway (a put
 * writes the whole document): a rebuild's batch sets a chat's activity row once per
 * message, and sending each of those is slow on some servers (FerretDB) for nothing.
 * The final state is the same: the later put does not depend on what came before.
 */
export const withoutOverwritten = (writes: readonly Write[], tables: Record<string, TableSpec>): Write[] => {
  const lastPut = new Map<string, number>();
  writes.forEach((w, i) => {
    if (w.op !== 'put') return;
    const doc = documentOf(w, tables[w.table]);
    if (doc !== undefined) lastPut.set(doc, i);
  });
  if (lastPut.size === 0) return [...writes];
  return writes.filter((w, i) => {
    const doc = documentOf(w, tables[w.table]);
    return doc === undefined || (lastPut.get(doc) ?? -1) <= i;
  });
};

/** Checkpoints as numbers while exact (they are log positions), else as decimal strings read back by BigInt. */
const checkpointValue = (checkpoint: bigint): number | string =>
  checkpoint <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(checkpoint) : checkpoint.toString();

export type MongoReadStore = Awaited<ReturnType<typeof createMongoReadStore>>;
