import type { Database, Statement } from 'better-sqlite3';
import type { Write } from '../write.ts';
import { isPutOf, sameShape, shapeOf, sqlOf, valuesOf, type WriteShape } from './writeShape.ts';

type Prepared = { shape: WriteShape; statement: Statement };

/**
 * Applies portable writes to one physical table through prepared statements, one per
 * shape (op and column set), found by comparing column names rather than building a key
 * string: a replay runs a million writes through here.
 */
export const createTableWriter = (db: Database, physical: string) => {
  const prepared: Prepared[] = [];
  let last: Prepared | undefined;
  const find = (write: Write): Prepared => {
    const shape = shapeOf(write);
    let entry = prepared.find((p) => sameShape(p.shape, shape));
    if (!entry) prepared.push((entry = { shape, statement: db.prepare(sqlOf(physical, shape)) }));
    return entry;
  };
  return (write: Write): void => {
    // The common case, a run of puts of one shape, checks the row against the last statement.
    const entry = last && isPutOf(write, last.shape) ? last : (last = find(write));
    // Spread, not an array: better-sqlite3 then reads arguments directly instead of array elements by lookup.
    entry.statement.run(...valuesOf(write));
  };
};

export type TableWriter = ReturnType<typeof createTableWriter>;
