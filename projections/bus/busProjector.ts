import type { Bus, BusSubscription, ConsumedRecord } from '../../bus/bus.ts';
import { appliedPositions } from '../../bus/relay/appliedPositions.ts';
import { freshRecords, markApplied } from '../../bus/relay/dropDuplicates.ts';
import { CHAT_EVENTS_TOPIC, chatIdOfStream, type RelayedEvent } from '../../bus/relay/relayedEvent.ts';
import type { DomainEvent } from '../../domain/events.ts';
import type { EventStore } from '../../event-store/eventStore.ts';
import type { MongoReadStore } from '../mongo/mongoReadStore.ts';
import type { Projection } from '../projection.ts';
import type { RebuildProgress } from '../readModels.ts';
import type { BuildBatch } from '../sqlite/sqliteReadStore.ts';
import { projectedPositions } from './projectedPositions.ts';

/** A build fed by the bus; events at or below `from` are already in it (its rebuild wrote them). */
type Member = { projection: Projection; build: number; from: bigint };

const highestPerChat = (events: readonly { streamName: string; position: bigint }[]) => {
  const out = new Map<string, bigint>();
  for (const e of events) {
    const chatId = chatIdOfStream(e.streamName);
    if (chatId !== null && e.position > (out.get(chatId) ?? -1n)) out.set(chatId, e.position);
  }
  return out;
};

const project = (member: Member, events: readonly { position: bigint; type: string; data: unknown }[]) =>
  events.filter((e) => e.position > member.from).flatMap((e) => member.projection.project({ type: e.type, data: e.data } as DomainEvent));

/**
 * The production projector: consumes `chat.events` (consumer group `projector`) into the
 * MongoDB read models. Repeats (relay restarts, redelivered batches) are dropped by the
 * per-chat positions in `projected_positions`, which move only after the writes are in;
 * the bus commits its offsets only after that. A batch that fails (MongoDB unreachable)
 * is delivered again after a backoff, so the read models resume without loss.
 *
 * A build the bus cannot fill (a projection with no live build of its schema version, or
 * a rebuild asked for) is built from the event store from position 0 beside the live one,
 * then joins: it takes bus events past the position its build reached, and reads switch.
 * The join waits until that position covers every bus batch already started, so no event
 * falls between the two feeds.
 */
export const startBusProjector = async ({
  bus,
  store,
  readStore,
  projections,
  topic = CHAT_EVENTS_TOPIC,
  groupId = 'projector',
  onError = (e: unknown) => console.error('projector', e),
  appliedCapacity = 100_000,
}: {
  bus: Bus;
  store: EventStore;
  readStore: MongoReadStore;
  projections: readonly Projection[];
  topic?: string;
  groupId?: string;
  onError?: (e: unknown) => void;
  /** Chats whose applied position is kept in memory; the others are read from `projected_positions` when they come up. */
  appliedCapacity?: number;
}) => {
  const positions = projectedPositions(readStore.db);
  const applied = appliedPositions(appliedCapacity);
  const members = new Map<string, Member>();
  const byName = new Map(projections.map((p) => [p.name, p]));
  /** Highest position of any bus batch started: a joining build must have reached it. */
  let frontier = -1n;
  let highest = -1n;
  let inFlight: Promise<void> = Promise.resolve();
  const rebuilds = new Map<string, RebuildProgress>();

  const onBatch = async (records: ConsumedRecord[]) => {
    // This batch's chats in a map of its own: the bounded `applied` may drop some of them
    // while the others load, and a chat it forgot must not read as "nothing applied".
    const known = new Map<string, bigint>();
    const unknown: string[] = [];
    for (const chatId of new Set(records.map((r) => r.key))) {
      const position = applied.get(chatId);
      if (position === undefined) unknown.push(chatId);
      else known.set(chatId, position);
    }
    for (const [chatId, p] of await positions.load(unknown)) known.set(chatId, p);
    const fresh = freshRecords(records, known);
    if (fresh.length === 0) return;
    const events: RelayedEvent[] = fresh.map((r) => r.event);
    const last = events.reduce((max, e) => (e.position > max ? e.position : max), -1n);
    if (last > frontier) frontier = last;
    const batches: BuildBatch[] = [...members.values()].map((m) => ({ name: m.projection.name, build: m.build, writes: project(m, events), checkpoint: last > highest ? last : highest }));
    const work = (async () => {
      await readStore.applyBatch(batches);
      const moved = new Map<string, bigint>();
      for (const { key, event } of fresh) if (event.position > (moved.get(key) ?? -1n)) moved.set(key, event.position);
      await positions.raise(moved);
    })();
    inFlight = work.catch(() => {});
    await work;
    markApplied(fresh, applied);
    if (last > highest) highest = last;
  };

  /** Fills a new build of `projection` from the event store, then joins it to the bus feed and switches reads to it. */
  const rebuild = async (name: string, onProgress: (p: RebuildProgress) => void = () => {}, { initial = false } = {}): Promise<RebuildProgress> => {
    const projection = byName.get(name);
    if (!projection) throw new Error(`no projection ${name}`);
    if (rebuilds.get(name)?.state === 'running') throw new Error(`${name} is already being rebuilt`);
    const build = await readStore.createBuild(projection);
    const started = performance.now();
    const progress: RebuildProgress = { name, build, checkpoint: 0n, head: 0n, applied: 0, eventsPerSecond: 0, state: 'running' };
    rebuilds.set(name, progress);
    const member: Member = { projection, build, from: -1n };
    let joined = false;
    let resolveJoined!: () => void;
    const joinedPromise = new Promise<void>((r) => (resolveJoined = r));

    const joinIfCaughtUp = async () => {
      const head = await store.headPosition();
      // Synchronous from the check to the join: no bus batch can start in between.
      if (joined || progress.checkpoint < head || progress.checkpoint < frontier) return;
      joined = true;
      const old = readStore.liveBuild(name);
      members.set(name, { projection, build, from: progress.checkpoint });
      await inFlight; // a batch started before the join may still write into the old build
      await readStore.createIndexes(projection, build);
      await readStore.markLive(name, build);
      if (old !== undefined && old !== build) await readStore.dropBuild(projection, old);
      progress.state = 'live';
      onProgress(progress);
      resolveJoined();
    };

    const subscription = store.subscribeToAll({
      after: 'start',
      maxBatchSize: 2_000,
      onEvents: async (events) => {
        if (joined) return;
        const batch = { name, build, writes: project(member, events), checkpoint: events.at(-1)!.position };
        await readStore.applyBatch([batch]);
        // Only a first build of everything (no bus feed yet) may speak for all read models of a chat.
        if (initial) await positions.raise(highestPerChat(events));
        progress.checkpoint = batch.checkpoint;
        progress.applied += events.length;
        progress.head = await store.headPosition();
        progress.eventsPerSecond = Math.round(progress.applied / ((performance.now() - started) / 1000));
        onProgress(progress);
        await joinIfCaughtUp();
      },
    });
    // An idle log: caught up without a new batch; keep checking until the bus frontier is covered.
    const poll = setInterval(() => void subscription.caughtUp.then(joinIfCaughtUp).catch(() => {}), 50);
    try {
      await Promise.race([joinedPromise, subscription.done.then(() => { throw new Error('rebuild stopped before it caught up'); })]);
      return progress;
    } catch (e) {
      progress.state = 'failed';
      progress.error = String(e);
      if (!joined) await readStore.dropBuild(projection, build).catch(() => {});
      throw e;
    } finally {
      clearInterval(poll);
      await subscription.close();
    }
  };

  // Live builds of the current schema version take the bus feed from where it is; any
  // other projection is built from the store first (below), leftovers are dropped.
  await readStore.refresh();
  const builds = await readStore.builds();
  const missing: string[] = [];
  for (const projection of projections) {
    const live = builds.find((b) => b.name === projection.name && b.state === 'live' && b.schemaVersion === projection.version);
    if (live) members.set(projection.name, { projection, build: live.build, from: -1n });
    else missing.push(projection.name);
    for (const b of builds) if (b.name === projection.name && b.build !== live?.build && b.state !== 'live') await readStore.dropBuild(projection, b.build);
  }

  // Builds from the store before the bus feed starts: nothing to coordinate with yet.
  const initial = members.size === 0;
  for (const name of missing) await rebuild(name, () => {}, { initial });
  const subscription: BusSubscription = await bus.subscribe({ topic, groupId, fromBeginning: true, onBatch });

  return {
    rebuild: (name: string, onProgress?: (p: RebuildProgress) => void) => rebuild(name, onProgress),
    rebuilds: () => [...rebuilds.values()],
    members: () => [...members.values()].map((m) => ({ name: m.projection.name, build: m.build })),
    /** Highest log position applied from the bus. */
    highest: () => highest,
    async stop() {
      await subscription.close();
      await inFlight;
    },
  };
};

export type BusProjector = Awaited<ReturnType<typeof startBusProjector>>;
