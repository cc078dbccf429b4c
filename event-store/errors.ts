import type { ExpectedRevision, StreamName } from './eventStore.ts';

/** The stream's revision is not the one the append expected. Retry after refreshing. */
export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly streamName: StreamName,
    readonly expected: ExpectedRevision,
    /** Revision of the stream's last event, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${streamName}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

/** An event id that is already stored, other than as an idempotent repeat of the same append. */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(
    readonly eventId: string,
    readonly existingStream: StreamName,
  ) {
    super(`event id ${eventId} already stored in stream ${existingStream}`);
  }
}

export const isWrongExpectedVersion = (e: unknown): e is WrongExpectedVersionError =>
  e instanceof WrongExpectedVersionError;
export const isDuplicateEventId = (e: unknown): e is DuplicateEventIdError => e instanceof DuplicateEventIdError;
