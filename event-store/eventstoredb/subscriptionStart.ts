import { START, type ReadPosition } from '@eventstore/db-client';
import { isTransientError } from './esdbErrors.ts';
import { toReadPosition } from './esdbMapping.ts';
import type { KnownPositions } from './knownPositions.ts';
import type { ReadLogPage } from './logPage.ts';

/** Where the server subscription starts, and the last position not to deliver. */
export type SubscriptionStart = { from: ReadPosition; skipUpTo: bigint };

/**
 * Where to subscribe for "events strictly after `after`". The server only accepts positions
 * where an event is: `after` is used as it is when known to be one, or when a one-event read
 * from it succeeds; otherwise (an offset into the middle of a record, which the server
 * refuses) the subscription starts at the greatest known position below it, or at the start
 * of the log, and skips everything up to `after`.
 */
export const subscriptionStartAfter = async (
  readPage: ReadLogPage,
  known: KnownPositions,
  after: bigint,
): Promise<SubscriptionStart> => {
  if (after <= 0n) return { from: START, skipUpTo: after };
  if (known.has(after)) return { from: toReadPosition(after), skipUpTo: after };
  try {
    await readPage({ from: toReadPosition(after), direction: 'forwards', maxCount: 1 });
    known.add(after);
    return { from: toReadPosition(after), skipUpTo: after };
  } catch (error) {
    // No server, no answer: that says nothing about the position. The caller retries.
    if (isTransientError(error)) throw error;
    const floor = known.floor(after);
    return { from: floor === undefined ? START : toReadPosition(floor), skipUpTo: after };
  }
};
