import type { EventStore } from '../event-store/eventStore.ts';
import { allProjections } from './allProjections.ts';
import type { Projection } from './projection.ts';
import { createProjector, projectBatch, type ProjectionSink } from './projector.ts';
import type { JsonBody } from './readSide.ts';
import { createBulkLoader } from './sqlite/bulkLoader.ts';
import { createLiveWriter } from './sqlite/liveWriter.ts';
import { startReaderThread, type ReaderThread } from './sqlite/readerThread.ts';
import { createSqliteQueries, historyJsonOf, type HistoryPageRequest } from './sqlite/sqliteQueries.ts';
import { createSqliteReadStore } from './sqlite/sqliteReadStore.ts';

export type RebuildProgress = {
  name: string;
  build: number;
  checkpoint: bigint;
  head: bigint;
  applied: number;
  eventsPerSecond: number;
  state: 'running' | 'live' | 'failed';
  error?: string;
};

export type ProjectionStatus = { name: string; version: number; schema_version: number; checkpoint: bigint; lag: bigint; state: string };

/**
 * The read side of one process: the read store, the projector keeping every live
 * build current, the queries, and online rebuilds. At start, a projection whose live
 * build has another schema version (or none) gets a fresh build from position 0;
 * reads wait for it like for any lag.
 */
export const startReadModels = ({
  store,
  path,
  projections = allProjections,
  writeInWorker = false,
  readInWorker = false,
}: {
  store: EventStore;
  path: string;
  projections?: readonly Projection[];
  /** Live batches are written by a worker thread (sqlite/liveWriter.ts); files only. */
  writeInWorker?: boolean;
  /** REST history pages are read by a worker thread (sqlite/readerThread.ts), started once ready; files only. */
  readInWorker?: boolean;
}) => {
  const readStore = createSqliteReadStore(path);
  const inFile = path !== '' && !path.startsWith(':memory:') && !path.startsWith('file:');
  const live = writeInWorker && inFile ? createLiveWriter({ readStore, path }) : undefined;
  // Where batches go: the read store or its writer thread, or a bulk loader while a fresh file loads from 0.
  let sink: ProjectionSink = live ?? readStore;
  const projector = createProjector({ store, sink: { applyBatch: (batches) => sink.applyBatch(batches) } });
  const byName = new Map(projections.map((p) => [p.name, p]));

  const loadingFromScratch: { projection: Projection; build: number }[] = [];
  for (const projection of projections) {
    const builds = readStore.builds().filter((b) => b.name === projection.name);
    const live = builds.find((b) => b.state === 'live' && b.schemaVersion === projection.version);
    if (live) projector.add(projection, live.build, live.checkpoint);
    else {
      // Nothing serves reads before the first catch-up (readiness waits for it), so this
      // build loads without secondary indexes and gets them in one pass at the end.
      const build = readStore.createBuild(projection, { deferIndexes: true });
      readStore.markLive(projection.name, build);
      projector.add(projection, build, 0n);
      loadingFromScratch.push({ projection, build });
    }
    // Leftovers: outdated builds and rebuilds interrupted by a restart.
    for (const b of builds) if (b.build !== (live?.build ?? readStore.liveBuild(projection.name))) readStore.dropBuild(projection, b.build);
  }
  // A file that holds nothing but builds loading from 0 is loaded by a worker without syncs
  // (sqlite/bulkLoader.ts): a crash meanwhile discards the file and it is rebuilt from the log.
  const fromScratchOnly = readStore.builds().every((b) => loadingFromScratch.some((l) => l.projection.name === b.name && l.build === b.build));
  const bulk = inFile && loadingFromScratch.length > 0 && fromScratchOnly ? createBulkLoader({ readStore, path }) : undefined;
  if (bulk) sink = bulk;
  let loading = bulk !== undefined;
  let closed = false;
  // Indexes once caught up, and only then ready. Every live build gets them (IF NOT EXISTS),
  // not only fresh ones: a build stopped mid-load resumes without them.
  const ready = projector.caughtUp.then(async () => {
    if (closed) return;
    const jobs = projections.flatMap((p) => {
      const build = readStore.liveBuild(p.name);
      return build === undefined ? [] : [{ name: p.name, build, tables: p.tables }];
    });
    if (bulk) await bulk.finish(jobs);
    else for (const job of jobs) readStore.createIndexes(job, job.build);
    await live?.up;
    sink = live ?? readStore;
    loading = false;
  });
  projector.start();

  const rebuilds = new Map<string, RebuildProgress>();
  const rebuildSubscriptions = new Set<{ close(): Promise<void> }>();

  /**
   * Builds the projection anew from position 0 beside the live build, then, once it has
   * caught up with the live projector, joins it to the projector and switches reads to it
   * in one synchronous step, and drops the old build. Writes go on throughout.
   */
  const rebuild = (name: string, onProgress: (p: RebuildProgress) => void = () => {}): Promise<RebuildProgress> => {
    const projection = byName.get(name);
    if (!projection) return Promise.reject(new Error(`no projection ${name}`));
    // A fresh file loads from a worker's connection until ready: a rebuild beside it waits.
    if (loading) return ready.then(() => rebuild(name, onProgress));
    if (rebuilds.get(name)?.state === 'running') return Promise.reject(new Error(`${name} is already being rebuilt`));
    const build = readStore.createBuild(projection);
    const member = { projection, build, checkpoint: 0n };
    const started = performance.now();
    const progress: RebuildProgress = { name, build, checkpoint: 0n, head: 0n, applied: 0, eventsPerSecond: 0, state: 'running' };
    rebuilds.set(name, progress);

    return new Promise((resolve, reject) => {
      let switched = false;
      const switchIfCaughtUp = () => {
        // Past every batch the projector has handed over (committed or not): its next one starts after them.
        if (switched || member.checkpoint < projector.handed()) return;
        switched = true;
        const old = readStore.liveBuild(name);
        projector.add(projection, build, member.checkpoint);
        readStore.markLive(name, build);
        void subscription.close();
        // Batches already handed over may still write into the old build: drop it once they
        // committed; the rebuild reports `live` once it is the only build.
        const dropOld = () => old !== undefined && !closed && readStore.dropBuild(projection, old);
        void projector
          .settled()
          .then(dropOld, dropOld)
          .then(
            () => {
              progress.state = 'live';
              onProgress(progress);
              resolve(progress);
            },
            (e: unknown) => {
              progress.state = 'failed';
              progress.error = String(e);
              reject(e);
            },
          );
      };
      const subscription = store.subscribeToAll({
        after: 'start',
        maxBatchSize: 2_000,
        onEvents: async (events) => {
          if (switched) return;
          const batch = projectBatch(member, events);
          readStore.applyBatch([batch]);
          member.checkpoint = batch.checkpoint;
          progress.applied += events.length;
          progress.checkpoint = member.checkpoint;
          progress.head = await store.headPosition();
          progress.eventsPerSecond = Math.round(progress.applied / ((performance.now() - started) / 1000));
          onProgress(progress);
          switchIfCaughtUp();
        },
      });
      rebuildSubscriptions.add(subscription);
      void subscription.done.finally(() => rebuildSubscriptions.delete(subscription)).catch(() => {});
      subscription.caughtUp.then(switchIfCaughtUp, () => {});
      subscription.done.catch((e: unknown) => {
        progress.state = 'failed';
        progress.error = String(e);
        readStore.dropBuild(projection, build);
        reject(e);
      });
    });
  };

  const queries = createSqliteQueries(readStore);
  const historyJsonHere = historyJsonOf(queries)!;
  // Started once caught up: nothing is read before, and a cold start under load built a backlog.
  let reader: ReaderThread | undefined;
  if (readInWorker && inFile) void ready.then(() => void (closed || (reader = startReaderThread({ path }))));
  /** On the reader thread once it is up; here before that, and if it fails the query or stops. */
  const historyJson = (chatId: string, viewerId: string, page: HistoryPageRequest): JsonBody | null | Promise<JsonBody | null> => {
    if (!reader?.usable()) return historyJsonHere(chatId, viewerId, page);
    return reader.historyJson(readStore.liveBuilds(), chatId, viewerId, page).catch(() => historyJsonHere(chatId, viewerId, page));
  };

  return {
    readStore,
    projector,
    queries,
    historyJson,
    /** Shared-memory slots of the reader thread not lent out (undefined without one): all of them when no answer is in flight. */
    readerFreeSlots: () => reader?.freeSlots(),
    /** Caught up once, with every secondary index (and the writer thread up, if any). */
    ready,
    /** In one process every chat's writes are in one log: wait for the projector to reach its head. */
    fresh: async (_chatId: string | undefined, timeoutMs: number) => projector.waitFor(await store.headPosition(), timeoutMs),
    projected: (_chatId: string, position: bigint, timeoutMs: number) => projector.waitFor(position, timeoutMs),
    rebuild,
    rebuilds: () => [...rebuilds.values()],
    /** Live batches are written by the writer thread now (not by the main thread). */
    writesOnWorker: () => live !== undefined && sink === live && live.onWorker(),
    async status(): Promise<ProjectionStatus[]> {
      const head = await store.headPosition();
      return readStore.builds().map((b) => {
        const checkpoint = projector.members().find((m) => m.name === b.name && m.build === b.build)?.checkpoint ?? b.checkpoint;
        return { name: b.name, version: b.build, schema_version: b.schemaVersion, checkpoint, lag: head > checkpoint ? head - checkpoint : 0n, state: b.state };
      });
    },
    async stop() {
      // An unfinished rebuild is abandoned; its build is dropped at the next start.
      await Promise.all([...rebuildSubscriptions].map((s) => s.close()));
      await projector.stop();
      // A load stopped midway keeps what it committed: the worker stops, the file is synced.
      await bulk?.finish([]);
      await live?.close();
      closed = true;
      await reader?.close();
      readStore.close();
    },
  };
};

export type ReadModels = ReturnType<typeof startReadModels>;
