import type { AppendResult, ExpectedRevision } from '../eventStore.ts';
import { DuplicateEventIdError } from '../errors.ts';
import type { AppendRequest } from './appendRequest.ts';
import { assertExpectedRevision } from './assertExpectedRevision.ts';
import type { EventLocation, Statements } from './statements.ts';

export type AppendOutcome = { result: AppendResult; written: boolean };

/**
 * Validates and writes one append inside the caller's open write transaction.
 * Every check queries the database, so it sees appends made earlier in the same group
 * commit and writes by other processes (the write lock is held), not a cache.
 * Order: an id twice in the request, an idempotent repeat (success, nothing written), the
 * expected revision, then ids already stored. Throws before writing anything.
 */
export const appendInTransaction = (
  statements: Statements,
  request: AppendRequest,
  recordedAt: number,
): AppendOutcome => {
  const { streamName, events, expectedRevision } = request;

  const idsInRequest = new Set<string>();
  for (const event of events) {
    if (idsInRequest.has(event.id)) throw new DuplicateEventIdError(event.id, streamName);
    idsInRequest.add(event.id);
  }

  const first = statements.locateEventId.get(events[0]!.id);
  if (first) {
    const repeated = asIdempotentRepeat(statements, request, first);
    if (repeated) return { result: repeated, written: false };
  }

  // A stale expected revision wins over a duplicate id, as in EventStoreDB (where a batch
  // that only partly repeats what is stored is a WrongExpectedVersion): the writer refreshes
  // and decides again, e.g. two nodes creating the same chat, one of them retrying onto it.
  const head = statements.streamHead.get(streamName);
  assertExpectedRevision(streamName, expectedRevision, head);

  if (first) throw new DuplicateEventIdError(events[0]!.id, first.stream_name);
  for (let i = 1; i < events.length; i++) {
    const stored = statements.locateEventId.get(events[i]!.id);
    if (stored) throw new DuplicateEventIdError(events[i]!.id, stored.stream_name);
  }

  let revision = head === undefined ? 0n : head + 1n;
  let firstPosition = 0n;
  let lastPosition = 0n;
  for (const event of events) {
    const { lastInsertRowid } = statements.insertEvent.run(
      streamName,
      revision,
      event.id,
      event.type,
      event.data,
      event.metadata,
      recordedAt,
    );
    lastPosition = BigInt(lastInsertRowid);
    if (firstPosition === 0n) firstPosition = lastPosition;
    revision++;
  }
  return { result: { nextExpectedRevision: revision - 1n, firstPosition, lastPosition }, written: true };
};

/**
 * EventStoreDB idempotency: the same ids, stored consecutively in the same stream from
 * where the append expected to start, mean "this append already happened"; answer as it did.
 */
const asIdempotentRepeat = (
  statements: Statements,
  { streamName, events, expectedRevision }: AppendRequest,
  first: EventLocation,
): AppendResult | undefined => {
  if (first.stream_name !== streamName) return undefined;
  if (!expectedRevisionAllowsRepeatAt(expectedRevision, first.revision)) return undefined;
  const stored = statements.readStreamForwards.all(streamName, first.revision, events.length);
  if (stored.length !== events.length) return undefined;
  for (let i = 0; i < events.length; i++) {
    if (stored[i]!.event_id !== events[i]!.id) return undefined;
  }
  return {
    nextExpectedRevision: stored[stored.length - 1]!.revision,
    firstPosition: stored[0]!.position,
    lastPosition: stored[stored.length - 1]!.position,
  };
};

const expectedRevisionAllowsRepeatAt = (expected: ExpectedRevision, firstRevision: bigint): boolean =>
  expected === 'any' ||
  (expected === 'no_stream' && firstRevision === 0n) ||
  (typeof expected === 'bigint' && expected === firstRevision - 1n);
