import { LRUCache } from 'lru-cache';

/** Per chat, the highest log position a consumer has applied: what `dropDuplicates` compares with. */
export type AppliedPositions = {
  get(chatId: string): bigint | undefined;
  set(chatId: string, position: bigint): unknown;
};

/**
 * The positions of the `capacity` chats applied most recently. A consumer runs for months
 * over millions of chats, so the map cannot grow with every chat ever seen. Repeats come
 * from a relay restart or a redelivered batch, i.e. recent chats. The projector reloads a
 * forgotten chat's position from its store; the router (positions in memory only) would
 * let a repeat of a long-idle chat through, as it already does after its own restart.
 */
export const appliedPositions = (capacity = 100_000): AppliedPositions => new LRUCache<string, bigint>({ max: capacity });
