/**
 * What a projection asks of a read store, independent of the store: a SQLite table or
 * a MongoDB collection applies the same writes. Every op is idempotent on replay
 * except `inc`, which the runner's checkpoint (stored with the writes) protects.
 */
export type Scalar = string | number | null;
export type Row = Record<string, Scalar>;

export type Write =
  /** Insert or replace the whole row with this primary key. */
  | { op: 'put'; table: string; row: Row }
  /** Insert the row if missing, else update it: `set` overwrites, `max` keeps the larger, `inc` adds. */
  | { op: 'upsert'; table: string; key: Row; set?: Row; max?: Record<string, number>; inc?: Record<string, number> }
  /** Update an existing row; no row, no change. */
  | { op: 'patch'; table: string; key: Row; set: Row }
  | { op: 'delete'; table: string; key: Row };

export const put = (table: string, row: Row): Write => ({ op: 'put', table, row });
export const patch = (table: string, key: Row, set: Row): Write => ({ op: 'patch', table, key, set });
export const remove = (table: string, key: Row): Write => ({ op: 'delete', table, key });
export const upsert = (table: string, key: Row, changes: Omit<Extract<Write, { op: 'upsert' }>, 'op' | 'table' | 'key'>): Write => ({
  op: 'upsert',
  table,
  key,
  ...changes,
});
