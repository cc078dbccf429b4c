import type { RebuildProgress, ProjectionStatus } from './readModels.ts';
import type { LeasedJson } from './sqlite/jsonSlots.ts';
import type { createSqliteQueries, HistoryPageRequest } from './sqlite/sqliteQueries.ts';

type SqliteQueries = ReturnType<typeof createSqliteQueries>;

/** An answer's JSON, ready to send. */
export type JsonBody = string | LeasedJson;

/**
 * The queries every read store answers, with the SQLite store's arguments and shapes.
 * SQLite answers synchronously, MongoDB with promises: callers always `await`.
 */
export type Queries = {
  [K in keyof SqliteQueries]: (...args: Parameters<SqliteQueries[K]>) => ReturnType<SqliteQueries[K]> | Promise<ReturnType<SqliteQueries[K]>>;
};

/**
 * What the REST routes and the gateway need of the read side, whichever store holds it:
 * the embedded one (`readModels.ts`: SQLite, projector in process) or the production
 * one (`mongo/mongoReadSide.ts`: MongoDB, projector in another process).
 */
export type ReadSide = {
  queries: Queries;
  /**
   * `queries.history` as the JSON of its answer, for members only (null for anyone
   * else), where the store can write it without building objects (SQLite): text, or
   * bytes the caller releases once they are sent.
   */
  historyJson?: (chatId: string, viewerId: string, page: HistoryPageRequest) => JsonBody | null | Promise<JsonBody | null>;
  /**
   * Resolves once reads reflect every write acknowledged before the call (for `chatId`:
   * every write to that chat); rejects after `timeoutMs`.
   */
  fresh(chatId: string | undefined, timeoutMs: number): Promise<void>;
  /** Resolves once the read models include the event at `position` of chat `chatId`; rejects after `timeoutMs`. */
  projected(chatId: string, position: bigint, timeoutMs: number): Promise<void>;
  /** Resolves when the read models first caught up with the log (readiness). */
  ready: Promise<void>;
  status(): Promise<ProjectionStatus[]>;
  /** Rebuilds a projection beside its live build and switches to it (where the projector runs). */
  rebuild(name: string, onProgress?: (p: RebuildProgress) => void): Promise<RebuildProgress>;
  rebuilds(): RebuildProgress[];
};
