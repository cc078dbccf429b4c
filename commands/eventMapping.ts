import { eventIdAt } from '../domain/ids.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { EventData, RecordedEvent } from '../event-store/eventStore.ts';

/**
 * Domain event ⇄ stored event. A MessageSent's id is its message id (derived from
 * sender + client_msg_id), so the store's unique key is the permanent dedup; any other
 * event's id is fixed by the slot it is appended to.
 */
export const toEventData = (event: DomainEvent, streamName: string, revision: bigint): EventData => ({
  id: event.type === 'MessageSent' ? event.data.messageId : eventIdAt(streamName, revision),
  type: event.type,
  data: event.data,
});

/** Our own streams hold only what `toEventData` wrote, so no re-validation on the hot path. */
export const toDomainEvent = <E extends DomainEvent>(recorded: RecordedEvent): E =>
  ({ type: recorded.type, data: recorded.data }) as E;
