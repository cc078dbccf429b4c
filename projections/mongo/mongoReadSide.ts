import { unavailable } from '../../domain/errors.ts';
import type { EventStore } from '../../event-store/eventStore.ts';
import { projectedPositions } from '../bus/projectedPositions.ts';
import type { ProjectionStatus, RebuildProgress } from '../readModels.ts';
import type { Queries, ReadSide } from '../readSide.ts';
import { createMongoQueries } from './mongoQueries.ts';
import type { MongoReadStore } from './mongoReadStore.ts';

const POLL_MS = 10;

/** Any failure to reach the read store is `unavailable` (503) to the client, not an internal error. */
const answeringUnavailable = (queries: ReturnType<typeof createMongoQueries>): Queries =>
  Object.fromEntries(
    Object.entries(queries).map(([name, query]) => [
      name,
      async (...args: unknown[]) => {
        try {
          return await (query as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (e) {
          throw unavailable(`read store unreachable: ${(e as Error).message}`);
        }
      },
    ]),
  ) as Queries;

/**
 * The read side of a gateway in production: queries on MongoDB, filled by the projector
 * process. A read of one chat follows that chat's acknowledged writes: it waits until
 * the chat's projected position reaches the last event of its stream. Reads across
 * chats (inbox) are served as projected, typically milliseconds behind.
 */
export const createMongoReadSide = ({
  store,
  readStore,
  rebuild = () => Promise.reject(new Error('rebuilds run in the projector process')),
  rebuilds = () => [],
}: {
  store: EventStore;
  readStore: MongoReadStore;
  rebuild?: ReadSide['rebuild'];
  rebuilds?: () => RebuildProgress[];
}): ReadSide => {
  const positions = projectedPositions(readStore.db);
  // Builds switch in the projector process: pick up its switches.
  const refresher = setInterval(() => void readStore.refresh().catch(() => {}), 1_000);
  refresher.unref();

  const projected = async (chatId: string, position: bigint, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      let reached: bigint;
      try {
        reached = await positions.of(chatId);
      } catch (e) {
        throw unavailable(`read store unreachable: ${(e as Error).message}`);
      }
      if (reached >= position) return;
      if (performance.now() > deadline) throw unavailable(`read models of ${chatId} are behind the log; retry shortly`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };

  return {
    queries: answeringUnavailable(createMongoQueries(readStore)),
    ready: Promise.resolve(),
    projected,
    async fresh(chatId, timeoutMs) {
      if (chatId === undefined) return;
      const [last] = await store.readStream(`chat-${chatId}`, { direction: 'backwards', maxCount: 1 });
      if (last) await projected(chatId, last.position, timeoutMs);
    },
    async status(): Promise<ProjectionStatus[]> {
      const head = await store.headPosition();
      return (await readStore.builds()).map((b) => ({
        name: b.name,
        version: b.build,
        schema_version: b.schemaVersion,
        checkpoint: b.checkpoint,
        lag: head > b.checkpoint ? head - b.checkpoint : 0n,
        state: b.state,
      }));
    },
    rebuild,
    rebuilds,
  };
};
