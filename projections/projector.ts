import type { DomainEvent } from '../domain/events.ts';
import type { EventStore, RecordedEvent, Subscription } from '../event-store/eventStore.ts';
import type { Projection } from './projection.ts';
import type { BuildBatch } from './sqlite/sqliteReadStore.ts';

/** What the projector needs of a read store: atomic batches of writes with checkpoints. */
export type ProjectionSink = { applyBatch(batches: readonly BuildBatch[]): void };

type Member = { projection: Projection; build: number; checkpoint: bigint };

const toDomainEvent = (e: RecordedEvent) => ({ type: e.type, data: e.data }) as DomainEvent;

/** Writes of one build for the events past its checkpoint: skipped events make replays idempotent. */
export const projectBatch = (member: Member, events: readonly RecordedEvent[]): BuildBatch => ({
  name: member.projection.name,
  build: member.build,
  writes: events.filter((e) => e.position > member.checkpoint).flatMap((e) => member.projection.project(toDomainEvent(e))),
  checkpoint: events.at(-1)!.position,
});

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

  const apply = (events: RecordedEvent[]) => {
    const batches = [...members.values()].map((m) => projectBatch(m, events));
    sink.applyBatch(batches);
    for (const b of batches) {
      const m = members.get(b.name)!;
      if (b.checkpoint > m.checkpoint) m.checkpoint = b.checkpoint;
    }
    reached(events.at(-1)!.position);
  };

  const run = async () => {
    while (!stopped) {
      const checkpoints = [...members.values()].map((m) => m.checkpoint);
      const after = checkpoints.reduce((min, c) => (c < min ? c : min), checkpoints[0] ?? 0n);
      // Every member has applied at least up to the smallest checkpoint.
      if (after > position) reached(after);
      subscription = store.subscribeToAll({ after, maxBatchSize, onEvents: apply });
      subscription.caughtUp.then(markCaughtUp, () => {});
      try {
        await subscription.done;
      } catch (e) {
        if (stopped) return;
        onError(e);
        await new Promise((r) => setTimeout(r, retryDelayMs));
      }
    }
  };

  let running: Promise<void> | undefined;
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));

  return {
    /** Joins a build to the live set. Its checkpoint must not be behind the projector's position. */
    add(projection: Projection, build: number, checkpoint: bigint) {
      if (running && checkpoint < position) throw new Error(`${projection.name}@${build} at ${checkpoint} is behind the projector at ${position}`);
      members.set(projection.name, { projection, build, checkpoint });
    },
    remove(name: string) {
      members.delete(name);
    },
    members: () => [...members.values()].map((m) => ({ name: m.projection.name, build: m.build, checkpoint: m.checkpoint })),
    start() {
      running ??= run();
    },
    /** Resolves once the projector first reached the head of the log. */
    caughtUp,
    /** The log position every live build has applied (-1n before it started). */
    position: () => position,
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
