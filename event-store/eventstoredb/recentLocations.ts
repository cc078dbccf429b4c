import type { EventLocation } from './appendChecks.ts';

export type RecentLocations = {
  get(id: string): EventLocation | undefined;
  remember(events: Iterable<{ id: string; streamName: string; revision: bigint }>): void;
  size(): number;
};

/**
 * Where recently seen events are, by id: every event this instance appended, read or
 * delivered to a subscription, most recent `capacity` kept (a Map's insertion order is
 * its LRU order). It gives readEventById and the append's id checks read-your-writes for
 * this process, which the lagging `$by_correlation_id` projection cannot.
 */
export const createRecentLocations = (capacity = 10_000): RecentLocations => {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  const locations = new Map<string, EventLocation>();
  return {
    get: (id) => {
      const location = locations.get(id);
      if (location) {
        locations.delete(id);
        locations.set(id, location);
      }
      return location;
    },
    remember: (events) => {
      for (const { id, streamName, revision } of events) {
        // The first place an id was stored is the one that counts (the original).
        const known = locations.get(id);
        locations.delete(id);
        locations.set(id, known ?? { streamName, revision });
        if (locations.size > capacity) locations.delete(locations.keys().next().value!);
      }
    },
    size: () => locations.size,
  };
};
