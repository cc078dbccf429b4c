import { createCommands } from '../../commands/index.ts';
import type { RecordedEvent } from '../../event-store/eventStore.ts';
import { runChatOp, type ChatOp } from '../../testing/randomChatOps.ts';
import { tempEventStore } from '../../testing/tempEventStore.ts';
import { allProjections } from '../allProjections.ts';
import { projectBatch } from '../projector.ts';
import type { BuildBatch } from '../sqlite/sqliteReadStore.ts';
import type { Write } from '../write.ts';
import type { ReadStoreFacade } from './readStoreFacade.ts';

export const USERS = ['ann', 'bob', 'cat', 'dan'] as const;
/** A user in no chat. */
export const STRANGER = 'zed';

export type ChatLog = { events: RecordedEvent[]; chatIds: string[]; messages: { chatId: string; seq: number }[] };

/** Runs random commands (a group of ann, bob, cat first) on a real temp SQLite event store and returns its log. */
export const recordChatLog = async (ops: readonly ChatOp[]): Promise<ChatLog> => {
  const temp = tempEventStore();
  const store = temp.open();
  try {
    const commands = createCommands(store);
    const { chatId } = await commands.createGroup({ creatorId: 'ann', name: 'g', memberIds: ['bob', 'cat'] });
    const sent: string[] = [];
    const counter = { n: 0 };
    for (const op of ops) await runChatOp(commands, chatId, sent, op, counter);
    // The log as a restarted process reads it: from the file, past any in-memory cache of the writer.
    await store.close();
    const reader = temp.open();
    const events = await reader.readAll().finally(() => reader.close());
    const chatIds = [
      ...new Set(events.filter((e) => e.type === 'ChatCreated').map((e) => (e.data as { chatId: string }).chatId)),
    ];
    const messages = events.filter((e) => e.type === 'MessageSent').map((e) => {
      const { chatId, seq } = e.data as { chatId: string; seq: number };
      return { chatId, seq };
    });
    return { events, chatIds, messages };
  } finally {
    await store.close().catch(() => {});
    temp.cleanup();
  }
};

/** Splits the log into consecutive batches of the given sizes (cycled), as the projector's subscription would. */
export const chunk = <T>(items: readonly T[], sizes: readonly number[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0, k = 0; i < items.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length] ?? 1);
    out.push(items.slice(i, i + n));
    i += n;
  }
  return out;
};

export type Projected = {
  /** Every batch, per event chunk, in order: what the projector applies (and replays after a crash). */
  batches: BuildBatch[][];
  builds: Map<string, number>;
};

/** Creates a live build of every projection and plans the log's batches for them (nothing applied yet). */
export const planLog = async (store: ReadStoreFacade, events: readonly RecordedEvent[], sizes: readonly number[] = [7]): Promise<Projected> => {
  const members = [];
  const builds = new Map<string, number>();
  for (const projection of allProjections) {
    const build = await store.createBuild(projection);
    await store.markLive(projection.name, build);
    builds.set(projection.name, build);
    members.push({ projection, build, checkpoint: 0n });
  }
  const batches: BuildBatch[][] = [];
  for (const events_ of chunk(events, sizes)) {
    batches.push(members.map((m) => projectBatch(m, events_)));
    for (const m of members) m.checkpoint = events_.at(-1)!.position;
  }
  return { batches, builds };
};

/** Creates a live build of every projection and projects the log into it, one applyBatch per event chunk. */
export const projectLog = async (store: ReadStoreFacade, events: readonly RecordedEvent[], sizes: readonly number[] = [7]): Promise<Projected> => {
  const planned = await planLog(store, events, sizes);
  for (const batch of planned.batches) await store.applyBatch(batch);
  return planned;
};

/**
 * What a crash in the middle of writing these batches leaves (no transaction): for
 * each build and table, a prefix of its writes in order (`cut` picks the prefix
 * length per table, as a fraction), and no checkpoint moved (`checkpoints` are the old ones).
 */
export const tornWrites = (batches: readonly BuildBatch[][], cut: (key: string) => number, checkpoints: Map<string, bigint>): BuildBatch[] => {
  const byBuild = new Map<string, { name: string; build: number; writes: Write[] }>();
  for (const batch of batches)
    for (const b of batch) {
      const key = `${b.name}_${b.build}`;
      const entry = byBuild.get(key) ?? { name: b.name, build: b.build, writes: [] };
      entry.writes.push(...b.writes);
      byBuild.set(key, entry);
    }
  return [...byBuild.entries()].map(([key, { name, build, writes }]) => {
    const tables = [...new Set(writes.map((w) => w.table))];
    const keep = new Map(tables.map((t) => [t, Math.floor(cut(`${key}.${t}`) * writes.filter((w) => w.table === t).length)]));
    const seen = new Map<string, number>();
    const torn = writes.filter((w) => {
      const n = seen.get(w.table) ?? 0;
      seen.set(w.table, n + 1);
      return n < keep.get(w.table)!;
    });
    return { name, build, writes: torn, checkpoint: checkpoints.get(name) ?? 0n };
  });
};
