import { unavailable } from '../domain/errors.ts';
import type { EventStore } from '../event-store/eventStore.ts';
import type { Projector } from '../projections/projector.ts';

/**
 * Reads follow acknowledged writes (protocol section 3): before a read, wait until the
 * projections have applied the log up to its head as of now, which includes every
 * write already answered. In one process this is usually already true; the wait only
 * covers the few hundred microseconds between a commit and its projection.
 */
export const consistentReads = (store: EventStore, projector: Projector, waitMs: number) => async () => {
  const head = await store.headPosition();
  try {
    await projector.waitFor(head, waitMs);
  } catch {
    throw unavailable('read models are behind the log; retry shortly');
  }
};
