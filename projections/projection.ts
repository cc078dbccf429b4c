import type { DomainEvent } from '../domain/events.ts';
import type { Write } from './write.ts';

export type ColumnType = 'text' | 'integer';

export type TableSpec = {
  columns: Record<string, ColumnType>;
  primaryKey: readonly string[];
  /** Secondary indexes, one column list each: one for every query the API makes. */
  indexes?: readonly (readonly string[])[];
  /**
   * Columns that are mostly null and only ever looked up by a value: an index leading
   * with one leaves null rows out (SQLite: a partial index, still used by `col = ?`).
   */
  sparse?: readonly string[];
};

/**
 * A read model: named and versioned (a new version is rebuilt beside the old one and
 * switched to), with its tables and a pure `project(event) → writes`.
 */
export type Projection = {
  name: string;
  version: number;
  tables: Record<string, TableSpec>;
  project(event: DomainEvent): Write[];
};
