import type { RecordedEvent } from '../eventStore.ts';

/**
 * The last events this process committed, kept while their positions are contiguous:
 * then no other writer's row can lie between them, and a read after a position they
 * cover returns exactly what the file would. Anything else falls back to the file.
 */
export const createRecentEvents = (capacity = 20_000) => {
  let events: RecordedEvent[] = [];
  return {
    add(written: readonly RecordedEvent[]) {
      const last = events.at(-1);
      if (last && written[0]!.position !== last.position + 1n) events = []; // another writer's rows in between
      events.push(...written);
      if (events.length > capacity * 2) events = events.slice(-capacity);
    },
    /** Events strictly after `position`, or undefined when memory does not cover them. */
    after(position: bigint, maxCount: number): RecordedEvent[] | undefined {
      const first = events[0];
      if (!first || position + 1n < first.position || position >= events.at(-1)!.position) return undefined;
      const start = Number(position + 1n - first.position);
      return events.slice(start, start + maxCount);
    },
  };
};
