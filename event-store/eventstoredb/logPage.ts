import { BACKWARDS, FORWARDS, type EventStoreDBClient, type Position, type ReadPosition } from '@eventstore/db-client';
import type { RecordedEvent } from '../eventStore.ts';
import { toLogEntry } from './esdbMapping.ts';
import type { StreamFilter } from './streamFilter.ts';

/** One event of $all as the adapter reads it: where it is, and the port's event when the port shows it. */
export type LogEntry = {
  /** The position as the server gave it: a valid place to start a read or subscription. */
  raw: Position;
  /** Its commit position, the port's `position`. */
  position: bigint;
  /** Undefined for events the port does not show (system events, other prefixes). */
  visible: RecordedEvent | undefined;
};

/** One page of $all, in the given direction, starting at `from` (the server decides whether `from` itself is included). */
export type ReadLogPage = (options: {
  from: ReadPosition;
  direction: 'forwards' | 'backwards';
  maxCount: number;
}) => Promise<LogEntry[]>;

/** ReadLogPage over the client's readAll (no link resolution: links are system events, never shown). */
export const createReadLogPage =
  (client: EventStoreDBClient, filter: StreamFilter): ReadLogPage =>
  async ({ from, direction, maxCount }) => {
    const entries: LogEntry[] = [];
    const read = client.readAll({ fromPosition: from, direction: direction === 'forwards' ? FORWARDS : BACKWARDS, maxCount });
    for await (const resolved of read) entries.push(toLogEntry(filter, resolved));
    return entries;
  };
