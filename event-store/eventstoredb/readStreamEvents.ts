import { BACKWARDS, FORWARDS, START, END, type EventStoreDBClient, type ReadRevision } from '@eventstore/db-client';
import type { ReadStreamOptions, RecordedEvent, StreamName } from '../eventStore.ts';
import { isStreamNotFound } from './esdbErrors.ts';
import { toRecordedEvent } from './esdbMapping.ts';

/** The port's maxCount: a non-negative integer, or no limit. */
export const limitOf = (maxCount: number | undefined): number => {
  if (maxCount === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(maxCount) || maxCount < 0) {
    throw new RangeError(`maxCount must be a non-negative integer, got ${maxCount}`);
  }
  return maxCount;
};

/** The client's start revision for a port stream read; undefined when the read is empty by definition. */
export const toReadRevision = ({ direction = 'forwards', fromRevision }: ReadStreamOptions): ReadRevision | undefined => {
  if (fromRevision !== undefined && typeof fromRevision === 'bigint' && fromRevision < 0n) {
    throw new RangeError(`fromRevision must be non-negative, got ${fromRevision}`);
  }
  if (direction === 'forwards') {
    // Forwards from 'end' starts past the last event: nothing to read.
    if (fromRevision === 'end') return undefined;
    return fromRevision === undefined || fromRevision === 'start' ? START : fromRevision;
  }
  if (fromRevision === undefined || fromRevision === 'end') return END;
  return fromRevision === 'start' ? 0n : fromRevision;
};

/** The port's readStream: inclusive start revision, either direction; a stream never written reads as empty. */
export const readStreamEvents = async (
  client: EventStoreDBClient,
  streamName: StreamName,
  options: ReadStreamOptions = {},
): Promise<RecordedEvent[]> => {
  const limit = limitOf(options.maxCount);
  const fromRevision = toReadRevision(options);
  if (limit === 0 || fromRevision === undefined) return [];
  const events: RecordedEvent[] = [];
  try {
    const read = client.readStream(streamName, {
      direction: options.direction === 'backwards' ? BACKWARDS : FORWARDS,
      fromRevision,
      ...(Number.isFinite(limit) && { maxCount: limit }),
    });
    for await (const resolved of read) if (resolved.event) events.push(toRecordedEvent(resolved.event));
  } catch (error) {
    if (isStreamNotFound(error)) return [];
    throw error;
  }
  return events;
};
