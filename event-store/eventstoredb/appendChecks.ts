import { DuplicateEventIdError, WrongExpectedVersionError } from '../errors.ts';
import type { AppendResult, ExpectedRevision, RecordedEvent, StreamName } from '../eventStore.ts';

/** Where an event id is stored. */
export type EventLocation = { streamName: StreamName; revision: bigint };

/**
 * The port's append rules for ids that are already stored somewhere (EventStoreDB itself
 * only dedups a retry written at the same place, and never across streams). Pure: the
 * caller reads what these need. Same order as the SQLite adapter: an idempotent repeat
 * first, then the expected revision, then ids stored elsewhere.
 */

/** `head`: revision of the stream's last event, undefined when it has none. */
export const satisfiesExpectedRevision = (expected: ExpectedRevision, head: bigint | undefined): boolean =>
  expected === 'any' ||
  (expected === 'no_stream' && head === undefined) ||
  (expected === 'stream_exists' && head !== undefined) ||
  (typeof expected === 'bigint' && head === expected);

export const assertExpectedRevision = (streamName: StreamName, expected: ExpectedRevision, head: bigint | undefined): void => {
  if (!satisfiesExpectedRevision(expected, head)) {
    throw new WrongExpectedVersionError(streamName, expected, head ?? 'no_stream');
  }
};

/**
 * Whether the append's first id, stored in `first`, can be this very append done before:
 * in the same stream, where the expected revision put it (`any`: anywhere).
 */
export const couldBeRepeatAt = (
  streamName: StreamName,
  expected: ExpectedRevision,
  first: EventLocation,
): boolean =>
  first.streamName === streamName &&
  (expected === 'any' ||
    (expected === 'no_stream' && first.revision === 0n) ||
    (typeof expected === 'bigint' && expected === first.revision - 1n));

/**
 * The original result when `stored` (the stream read from the first id's revision, at most
 * ids.length events) holds exactly these ids in this order; undefined when it does not.
 */
export const asIdempotentRepeat = (ids: readonly string[], stored: readonly RecordedEvent[]): AppendResult | undefined => {
  if (stored.length !== ids.length || stored.some((event, i) => event.id !== ids[i])) return undefined;
  return {
    nextExpectedRevision: stored[stored.length - 1]!.revision,
    firstPosition: stored[0]!.position,
    lastPosition: stored[stored.length - 1]!.position,
  };
};

/** Throws for the first of `ids` that is stored (after the expected revision was found right). */
export const assertIdsNotStored = (
  ids: readonly string[],
  locations: ReadonlyMap<string, EventLocation>,
): void => {
  for (const id of ids) {
    const stored = locations.get(id);
    if (stored) throw new DuplicateEventIdError(id, stored.streamName);
  }
};
