import type { ExpectedRevision, StreamName } from '../eventStore.ts';
import { WrongExpectedVersionError } from '../errors.ts';

/** `head` is the revision of the stream's last event, undefined when the stream has none. */
export const assertExpectedRevision = (
  streamName: StreamName,
  expected: ExpectedRevision,
  head: bigint | undefined,
): void => {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && head === undefined) ||
    (expected === 'stream_exists' && head !== undefined) ||
    (typeof expected === 'bigint' && head === expected);
  if (!ok) throw new WrongExpectedVersionError(streamName, expected, head ?? 'no_stream');
};
