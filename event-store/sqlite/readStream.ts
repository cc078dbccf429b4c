import type { ReadStreamOptions, RecordedEvent, StreamName } from '../eventStore.ts';
import { toRecordedEvent } from './eventRow.ts';
import { limitOf, MAX_INT64, type Statements } from './statements.ts';

/** One indexed range read on (stream_name, revision), in either direction. */
export const readStream = (
  statements: Statements,
  streamName: StreamName,
  { direction = 'forwards', fromRevision, maxCount }: ReadStreamOptions,
): RecordedEvent[] => {
  const limit = limitOf(maxCount);
  if (limit === 0) return [];
  if (direction === 'forwards') {
    // Forwards from 'end' starts past the last event: nothing to read.
    if (fromRevision === 'end') return [];
    const from = fromRevision === undefined || fromRevision === 'start' ? 0n : fromRevision;
    return statements.readStreamForwardsTuples.all(streamName, from, limit).map(toRecordedEvent);
  }
  const from =
    fromRevision === undefined || fromRevision === 'end' ? MAX_INT64 : fromRevision === 'start' ? 0n : fromRevision;
  return statements.readStreamBackwards.all(streamName, from, limit).map(toRecordedEvent);
};
