import type { EventStore } from '../../event-store/eventStore.ts';
import { createSqliteEventStore } from '../../event-store/sqlite/sqliteEventStore.ts';

/**
 * The event store named by CHAT_EVENTSTORE_URL: `esdb://…` is EventStoreDB; `sqlite:<path>`
 * is one SQLite file shared by every process of the node (same host): WAL lets them read
 * while one writes, and subscriptions poll the file for the others' commits.
 */
export const openEventStore = async (url: string): Promise<EventStore> => {
  if (url.startsWith('sqlite:')) {
    return createSqliteEventStore({ path: url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''), subscriptionPollIntervalMs: 10 });
  }
  const { createEsdbEventStore } = await import('../../event-store/eventstoredb/esdbEventStore.ts');
  return createEsdbEventStore({ connectionString: url });
};
