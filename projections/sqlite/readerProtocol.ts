import type { HistoryPageRequest } from './sqliteQueries.ts';

/** Main thread → reader worker. `live`: the live builds, sent only when they changed since the last request. */
export type ToReader = { id: number; live?: [string, number][]; chatId: string; viewerId: string; page: HistoryPageRequest };

/** Reader worker → main thread: a history page's JSON text (null: not a member), or why it failed. */
export type FromReader = { type: 'ready' } | { type: 'page'; id: number; json: string | null } | { type: 'failed'; id: number; error: string };
