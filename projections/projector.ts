import type { DomainEvent } from '../domain/events.ts';
import type { EventStore, RecordedEvent, Subscription } from '../event-store/eventStore.ts';
import { dropOverwritten } from './dropOverwritten.ts';
import type { Projection } from './projection.ts';
import type { BuildBatch } from './sqlite/sqliteReadStore.ts';
import type { Write } from './write.ts';

/**
 * What the projector needs of a read store: atomic batches of writes with checkpoints.
 * Applied on return, or, when a promise is answered, once it resolves: such batches commit
 * in the order given, and a rejection means neither it nor any later batch was applied.
 */
export type ProjectionSink = { applyBatch(batches: readonly BuildBatch[]): void | Promise<void> };

/** `checkpoint`: what the next batch starts after; `committed`: what the read store holds. */
type Member = { projection: Projection; build: number; checkpoint: bigint; committed: bigint };

/** Batches handed to a sink that answers promises and not yet committed, at most: one writing, one waiting. */
const MAX_IN_FLIGHT = 2;

/**
 * Writes of one build for the events past its checkpoint: skipped events make replays
 * idempotent. Writes a later put of the same row replaces are left out (see dropOverwritten).
 */
export const projectBatch = (member: Pick<Member, 'projection' | 'build' | 'checkpoint'>, events: readonly RecordedEvent[]): BuildBatch => {
  const { projection, checkpoint } = member;
  const writes: Write[] = [];
  for (const e of events) {
    if (e.position <= checkpoint) continue;
    // A recorded event carries the domain event's `type` and `data`: projections read nothing else.
    for (const w of projection.project(e as unknown as DomainEvent)) writes.push(w);
  }
  return { name: projection.name, build: member.build, writes: dropOverwritten(writes, projection.tables), checkpoint: events.at(-1)!.position };
};

/**
 * Runs a set of projection builds off one subscription to the log: each batch of
 * events becomes one transaction of writes plus checkpoints. Projections are pure, so
 * replaying the log triggers nothing but writes: no deliveries, no push.
 */
export const createProjector = ({
  store,
  sink,
  maxBatchSize = 2_000,
  retryDelayMs = 1_000,
  onError = (e: unknown) => console.error('projector failed, retrying', e),
}: {
  store: EventStore;
  sink: ProjectionSink;
  maxBatchSize?: number;
  retryDelayMs?: number;
  onError?: (e: unknown) => void;
}) => {
  const members = new Map<string, Member>();
  let position = -1n; // nothing applied yet
  let handed = -1n; // the last event handed to the sink (committed or not)
  const handedOrApplied = () => (handed > position ? handed : position);
  let subscription: Subscription | undefined;
  let stopped = false;
  let waiters: { position: bigint; resolve: () => void }[] = [];

  const reached = (p: bigint) => {
    position = p;
    const ready = waiters.filter((w) => w.position <= p);
    if (ready.length === 0) return;
    waiters = waiters.filter((w) => w.position > p);
    for (const w of ready) w.resolve();
  };

  const committed = (batches: readonly Pick<BuildBatch, 'name' | 'build' | 'checkpoint'>[], last: bigint) => {
    for (const b of batches) {
      const m = members.get(b.name);
      if (m?.build === b.build && b.checkpoint > m.committed) m.committed = b.checkpoint;
    }
    reached(last);
  };

  // Commits still to come from a sink that answers promises, oldest first.
  let inFlight: Promise<void>[] = [];
  const settled = () => Promise.all(inFlight).then(() => undefined);
  /** One subscription's run; a failed commit fails it, and what was not committed is projected again. */
  type Attempt = { failed: boolean; error?: unknown };
  let attempt: Attempt = { failed: false };

  const apply = (events: RecordedEvent[]): void | Promise<void> => {
    const current = attempt;
    if (current.failed) throw current.error;
    const batches = [...members.values()].map((m) => projectBatch(m, events));
    const last = events.at(-1)!.position;
    const done = sink.applyBatch(batches);
    handed = last;
    for (const b of batches) {
      const m = members.get(b.name)!;
      if (b.checkpoint > m.checkpoint) m.checkpoint = b.checkpoint;
    }
    if (!done) return committed(batches, last);
    // Only the checkpoints wait for the commit: the writes can be collected meanwhile.
    const checkpoints = batches.map(({ name, build, checkpoint }) => ({ name, build, checkpoint }));
    const commit = done.then(
      () => committed(checkpoints, last),
      (e: unknown) => {
        // Marked before any other batch is handed over: the sink fails the later ones at once too.
        if (!current.failed) Object.assign(current, { failed: true, error: e });
        void subscription?.close();
      },
    );
    inFlight.push(commit);
    // The next batch is read and projected while this one commits; one more waits for it.
    if (inFlight.length >= MAX_IN_FLIGHT) return inFlight.shift();
  };

  const run = async () => {
    while (!stopped) {
      const current: Attempt = (attempt = { failed: false });
      const checkpoints = [...members.values()].map((m) => m.checkpoint);
      const after = checkpoints.reduce((min, c) => (c < min ? c : min), checkpoints[0] ?? 0n);
      // Every member has applied at least up to the smallest checkpoint.
      if (after > position) reached(after);
      subscription = store.subscribeToAll({ after, maxBatchSize, onEvents: apply });
      // Caught up once what was handed over has also committed.
      subscription.caughtUp.then(settled).then(() => current.failed || markCaughtUp(), () => {});
      let error: unknown;
      try {
        await subscription.done;
      } catch (e) {
        error = e;
      }
      await settled();
      inFlight = [];
      if (current.failed) error ??= current.error;
      // Re-project what was handed over but not committed.
      for (const m of members.values()) m.checkpoint = m.committed;
      handed = position;
      if (stopped) return;
      if (error === undefined) continue;
      onError(error);
      await new Promise((r) => setTimeout(r, retryDelayMs));
    }
  };

  let running: Promise<void> | undefined;
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));

  return {
    /** Joins a build to the live set. Its checkpoint must not be behind the projector's position. */
    add(projection: Projection, build: number, checkpoint: bigint) {
      const from = handedOrApplied();
      if (running && checkpoint < from) throw new Error(`${projection.name}@${build} at ${checkpoint} is behind the projector at ${from}`);
      members.set(projection.name, { projection, build, checkpoint, committed: checkpoint });
    },
    remove(name: string) {
      members.delete(name);
    },
    members: () => [...members.values()].map((m) => ({ name: m.projection.name, build: m.build, checkpoint: m.committed })),
    start() {
      running ??= run();
    },
    /** Resolves once the projector first reached the head of the log (applied, committed). */
    caughtUp,
    /** The log position every live build has applied (-1n before it started). */
    position: () => position,
    /**
     * The last position handed to the sink, committed or not: a build joining with `add`
     * must have applied at least this far, since later batches start after it.
     */
    handed: handedOrApplied,
    /** Resolves once every batch handed over so far has committed (or failed). */
    settled: () => settled(),
    /** Resolves once every live build has applied the log up to `target`; rejects after `timeoutMs`. */
    waitFor(target: bigint, timeoutMs = 5_000): Promise<void> {
      if (target <= position) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          reject(new Error(`projections did not reach position ${target} within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = { position: target, resolve: () => (clearTimeout(timer), resolve()) };
        waiters.push(waiter);
      });
    },
    async stop() {
      stopped = true;
      await subscription?.close();
      await running;
    },
  };
};

export type Projector = ReturnType<typeof createProjector>;
