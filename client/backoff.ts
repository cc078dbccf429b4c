/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff
 * and Jitter"): the delay before attempt n is uniform in [0, min(max, base * 2^n)].
 * Full jitter spreads a crowd of clients that lost the same server, so a restart is
 * not met by a synchronized stampede.
 */
export type BackoffOptions = {
  /** The cap of the first delay, ms. */
  baseMs?: number;
  /** No delay exceeds this, ms. */
  maxMs?: number;
  /** Injectable for tests; must return [0, 1). */
  random?: () => number;
};

export type Backoff = {
  /** The delay before the next attempt, and counts the attempt. */
  next(): number;
  /** After a success: the next failure starts small again. */
  reset(): void;
  readonly attempts: number;
};

export const DEFAULT_BACKOFF = { baseMs: 250, maxMs: 30_000 } as const;

/** The upper bound of the delay before attempt `attempt` (0-based). */
export const backoffCeiling = (attempt: number, baseMs: number, maxMs: number): number =>
  // 2^attempt overflows to Infinity for huge attempts; min() keeps the cap.
  Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 1024));

export const createBackoff = ({ baseMs = DEFAULT_BACKOFF.baseMs, maxMs = DEFAULT_BACKOFF.maxMs, random = Math.random }: BackoffOptions = {}): Backoff => {
  if (!(baseMs >= 0) || !(maxMs >= 0)) throw new RangeError('backoff baseMs and maxMs must be >= 0');
  let attempts = 0;
  return {
    next() {
      const delay = random() * backoffCeiling(attempts, baseMs, maxMs);
      attempts++;
      return Math.floor(delay);
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
};

/** One full-jitter delay for the `attempt`-th retry (0-based), for callers that keep their own attempt counts. */
export const fullJitter = (attempt: number, { baseMs = DEFAULT_BACKOFF.baseMs, maxMs = DEFAULT_BACKOFF.maxMs, random = Math.random }: BackoffOptions = {}): number =>
  Math.floor(random() * backoffCeiling(attempt, baseMs, maxMs));
