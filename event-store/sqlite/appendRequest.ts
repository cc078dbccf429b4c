import type { EventData, ExpectedRevision, StreamName } from '../eventStore.ts';

export type SerializedEvent = { id: string; type: string; data: string; metadata: string };

/** An append, validated and serialized before it joins a group commit, so a bad payload can't abort the batch. */
export type AppendRequest = {
  streamName: StreamName;
  events: readonly SerializedEvent[];
  expectedRevision: ExpectedRevision;
};

const isExpectedRevision = (value: unknown): value is ExpectedRevision =>
  value === 'no_stream' || value === 'stream_exists' || value === 'any' || (typeof value === 'bigint' && value >= 0n);

export const toAppendRequest = (
  streamName: StreamName,
  events: readonly EventData[],
  expectedRevision: ExpectedRevision,
): AppendRequest => {
  if (typeof streamName !== 'string' || streamName.length === 0) {
    throw new TypeError('stream name must be a non-empty string');
  }
  // The AppendResult reports positions of written events, so there must be at least one.
  if (events.length === 0) throw new RangeError(`append to ${streamName}: no events`);
  if (!isExpectedRevision(expectedRevision)) {
    throw new TypeError(`append to ${streamName}: invalid expected revision ${String(expectedRevision)}`);
  }
  return {
    streamName,
    expectedRevision,
    events: events.map((event) => {
      if (typeof event.id !== 'string' || event.id.length === 0) {
        throw new TypeError(`append to ${streamName}: event id must be a non-empty string`);
      }
      if (typeof event.type !== 'string' || event.type.length === 0) {
        throw new TypeError(`append to ${streamName}: event type must be a non-empty string`);
      }
      return {
        id: event.id,
        type: event.type,
        // JSON has no `undefined`: it is stored (and read back) as null.
        data: JSON.stringify(event.data) ?? 'null',
        metadata: JSON.stringify(event.metadata ?? {}),
      };
    }),
  };
};
