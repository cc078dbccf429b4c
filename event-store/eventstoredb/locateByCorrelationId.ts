import type { EventStoreDBClient } from '@eventstore/db-client';
import type { EventLocation } from './appendChecks.ts';
import { isStreamNotFound } from './esdbErrors.ts';

/** The stream the `$by_correlation_id` system projection links every event with `$correlationId` = id into. */
export const byCorrelationIdStream = (id: string): string => `$bc-${id}`;

/** Links looked at: other writers may use one of our ids as the correlation id of their own events. */
const MAX_LINKS = 100;

/**
 * Where the event with this id is stored, from the `$by_correlation_id` projection: this
 * adapter writes every event with `$correlationId` = its own id, so `$bc-<id>` links to it
 * (and to any event someone else correlated to it: the one whose own id is `id` is ours; the
 * first, if the id was ever stored twice). Undefined when there is no such link, which
 * includes "not indexed yet": the projection runs behind the log (see README).
 */
export const locateByCorrelationId = async (
  client: EventStoreDBClient,
  id: string,
): Promise<EventLocation | undefined> => {
  let found: EventLocation | undefined;
  try {
    // Read to the end (a few links at most) rather than leave early: the call then ends by itself.
    const links = client.readStream(byCorrelationIdStream(id), { resolveLinkTos: true, maxCount: MAX_LINKS });
    for await (const { event } of links) {
      if (!found && event?.id === id) found = { streamName: event.streamId, revision: event.revision };
    }
  } catch (error) {
    if (isStreamNotFound(error)) return undefined;
    throw error;
  }
  return found;
};
