/**
 * Positions known to be where an event is in $all: EventStoreDB can only start a read or a
 * subscription at such a position (any other offset into its log is an "invalid position"
 * error). The port lets a caller pass any bigint as `after`, so when it is not one of these,
 * the adapter starts at the greatest known one below it and skips up to `after` itself.
 *
 * A sorted array of at most `capacity` positions; when full, the smallest go first (the
 * useful ones are recent). Callers add a few positions per read (a page's last, an append's
 * first and last), so insertions are few and mostly at the end.
 */
export type KnownPositions = {
  add(position: bigint): void;
  has(position: bigint): boolean;
  /** The greatest known position ≤ `position`, if any. */
  floor(position: bigint): bigint | undefined;
  size(): number;
};

export const createKnownPositions = (capacity = 4_096): KnownPositions => {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  const sorted: bigint[] = [];

  /** Index of the first element > position. */
  const upperBound = (position: bigint): number => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (sorted[middle]! <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  return {
    add: (position) => {
      if (position <= 0n) return;
      // Full, and older than all kept: it would be the first to go.
      if (sorted.length >= capacity && position < sorted[0]!) return;
      const index = upperBound(position);
      if (index > 0 && sorted[index - 1] === position) return;
      sorted.splice(index, 0, position);
      if (sorted.length > capacity) sorted.shift();
    },
    has: (position) => {
      const index = upperBound(position);
      return index > 0 && sorted[index - 1] === position;
    },
    floor: (position) => {
      const index = upperBound(position);
      return index > 0 ? sorted[index - 1] : undefined;
    },
    size: () => sorted.length,
  };
};
