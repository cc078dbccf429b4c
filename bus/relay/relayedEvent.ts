/**
 * The wire form of an event on `chat.events`: one record per stored event, keyed by chat
 * id, its value this JSON (bigints as decimal strings, the date as ISO 8601).
 */
import type { RecordedEvent } from '../../event-store/eventStore.ts';
import type { BusRecord } from '../bus.ts';

export const CHAT_EVENTS_TOPIC = 'chat.events';

export type RelayedEventJson = {
  position: string;
  streamName: string;
  revision: string;
  id: string;
  type: string;
  data: unknown;
  recordedAt: string;
};

export type RelayedEvent = {
  position: bigint;
  streamName: string;
  revision: bigint;
  id: string;
  type: string;
  data: unknown;
  recordedAt: Date;
};

/** `chat-<id>` and `receipts-<id>` → `<id>`; any other stream → null (not a chat's event). */
export const chatIdOfStream = (streamName: string): string | null => {
  const match = /^(?:chat|receipts)-(.+)$/s.exec(streamName);
  return match ? match[1]! : null;
};

/** The bus record for a stored event, or null when its stream is not a chat's. */
export const toRelayedRecord = (event: RecordedEvent): BusRecord | null => {
  const chatId = chatIdOfStream(event.streamName);
  if (chatId === null) return null;
  const json: RelayedEventJson = {
    position: event.position.toString(),
    streamName: event.streamName,
    revision: event.revision.toString(),
    id: event.id,
    type: event.type,
    data: event.data,
    recordedAt: event.recordedAt.toISOString(),
  };
  return { key: chatId, value: JSON.stringify(json), headers: { type: event.type } };
};

export const parseRelayedEvent = (value: string): RelayedEvent => {
  const json = JSON.parse(value) as RelayedEventJson;
  return {
    position: BigInt(json.position),
    streamName: json.streamName,
    revision: BigInt(json.revision),
    id: json.id,
    type: json.type,
    data: json.data,
    recordedAt: new Date(json.recordedAt),
  };
};
