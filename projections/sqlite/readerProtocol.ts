import type { HistoryPageRequest } from './sqliteQueries.ts';

/**
 * Main thread → reader worker. `live`: the live builds, sent only when they changed since
 * the last request. `slot`: where to write the page's JSON bytes (jsonSlots.ts), if one was free.
 */
export type ToReader = { id: number; live?: [string, number][]; chatId: string; viewerId: string; page: HistoryPageRequest; slot?: number };

/**
 * Reader worker → main thread: a history page as `length` bytes in its slot, or as JSON
 * text (null: not a member; no slot, or too big for one), or why it failed.
 */
export type FromReader =
  | { type: 'ready' }
  | { type: 'page'; id: number; json: string | null }
  | { type: 'slot'; id: number; length: number }
  | { type: 'failed'; id: number; error: string };
