import {
  ErrorType,
  isCommandError,
  StreamNotFoundError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
} from '@eventstore/db-client';
import { DuplicateEventIdError, WrongExpectedVersionError } from '../errors.ts';
import type { ExpectedRevision, StreamName } from '../eventStore.ts';
import { satisfiesExpectedRevision } from './appendChecks.ts';

const isClientError = (error: unknown): error is Error & { type: ErrorType } =>
  error instanceof Error && isCommandError(error);

/** A read of a stream that has no events (never written): the port reads it as empty. */
export const isStreamNotFound = (error: unknown): boolean =>
  error instanceof StreamNotFoundError || (isClientError(error) && error.type === ErrorType.STREAM_NOT_FOUND);

/** The client's "current revision": a bigint, or 'no_stream' (some paths report −1 for it). */
const actualRevisionOf = (actual: unknown): bigint | 'no_stream' =>
  typeof actual === 'bigint' && actual >= 0n ? actual : 'no_stream';

/**
 * A failed append in the port's terms. The client's WrongExpectedVersionError becomes the
 * port's, carrying the expected revision as the caller gave it and the stream's actual one.
 *
 * One case is not a concurrency conflict: when the actual revision satisfies what the
 * append expected, the server refused a batch whose first ids repeat events it already has
 * at that place but whose rest differ (its "corrupted idempotency", which it reports as a
 * wrong expected version, e.g. under `any`). In the port that is a DuplicateEventIdError
 * for the first id, stored in this stream.
 *
 * Anything else is returned as it is.
 */
export const fromEsdbAppendError = (
  error: unknown,
  { streamName, expectedRevision, ids }: { streamName: StreamName; expectedRevision: ExpectedRevision; ids: readonly string[] },
): unknown => {
  if (!(error instanceof EsdbWrongExpectedVersionError)) return error;
  const actual = actualRevisionOf(error.actualVersion);
  if (satisfiesExpectedRevision(expectedRevision, actual === 'no_stream' ? undefined : actual)) {
    return new DuplicateEventIdError(ids[0]!, streamName);
  }
  return new WrongExpectedVersionError(streamName, expectedRevision, actual);
};

/**
 * Subscription failures that a new subscription cannot fix: retrying them would only loop.
 * Everything else (unavailable, not leader, deadline, a server restart, an unknown error)
 * is a drop, and the subscription resubscribes from where it was.
 */
const PERMANENT = new Set<ErrorType>([ErrorType.ACCESS_DENIED, ErrorType.INVALID_ARGUMENT, ErrorType.UNSUPPORTED]);

export const isPermanentSubscriptionError = (error: unknown): boolean => isClientError(error) && PERMANENT.has(error.type);

/**
 * The server could not be reached or did not answer in time: the request may well succeed
 * later, so it says nothing about the request itself (e.g. whether a position is valid).
 */
const TRANSIENT = new Set<ErrorType>([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.CANCELLED,
  ErrorType.NOT_LEADER,
]);

export const isTransientError = (error: unknown): boolean => isClientError(error) && TRANSIENT.has(error.type);
