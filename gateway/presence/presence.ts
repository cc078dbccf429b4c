import type { PresenceView } from './presenceRegistry.ts';

/**
 * Presence as the gateway uses it: sessions opening and closing on this node, and each
 * user's status as all nodes together see it. In process (`presenceRegistry.ts`) or
 * shared through the KV store with heartbeat TTLs (`kvPresence.ts`).
 */
export type Presence = {
  opened(userId: string): void;
  closed(userId: string): void;
  view(userId: string): PresenceView | Promise<PresenceView>;
  /** Each ping round, with the users connected here (shared presence refreshes their TTLs). */
  heartbeat?(userIds: ReadonlySet<string>): void;
  stop(): void | Promise<void>;
};

/** Builds the presence of a node; `onChange` hears every flip, for this node's watchers to be told. */
export type PresenceFactory = (onChange: (view: PresenceView) => void) => Presence;
