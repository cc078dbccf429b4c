import type { Database, Statement } from 'better-sqlite3';
import type { Row, Scalar, Write } from '../write.ts';
import { quote } from './tableDdl.ts';

/** Turns portable writes into cached prepared statements, one per (op, table, column set). */
export const createWriteStatements = (db: Database) => {
  const cache = new Map<string, Statement>();
  const prepared = (key: string, sql: () => string) => {
    let statement = cache.get(key);
    if (!statement) {
      statement = db.prepare(sql());
      cache.set(key, statement);
    }
    return statement;
  };
  const where = (key: Row) => Object.keys(key).map((c) => `${quote(c)} = ?`).join(' AND ');

  return (physical: string, write: Write): void => {
    switch (write.op) {
      case 'put': {
        const cols = Object.keys(write.row);
        prepared(`put ${physical} ${cols}`, () =>
          `INSERT OR REPLACE INTO ${quote(physical)} (${cols.map(quote).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
        ).run(...Object.values(write.row));
        return;
      }
      case 'patch': {
        const set = Object.keys(write.set);
        const keys = Object.keys(write.key);
        prepared(`patch ${physical} ${set} / ${keys}`, () =>
          `UPDATE ${quote(physical)} SET ${set.map((c) => `${quote(c)} = ?`).join(', ')} WHERE ${where(write.key)}`,
        ).run(...Object.values(write.set), ...Object.values(write.key));
        return;
      }
      case 'delete': {
        const keys = Object.keys(write.key);
        prepared(`delete ${physical} ${keys}`, () => `DELETE FROM ${quote(physical)} WHERE ${where(write.key)}`).run(
          ...Object.values(write.key),
        );
        return;
      }
      case 'upsert': {
        const set = write.set ?? {};
        const max = write.max ?? {};
        const inc = write.inc ?? {};
        const keyCols = Object.keys(write.key);
        const cols = [...keyCols, ...Object.keys(set), ...Object.keys(max), ...Object.keys(inc)];
        const updates = [
          ...Object.keys(set).map((c) => `${quote(c)} = excluded.${quote(c)}`),
          ...Object.keys(max).map((c) => `${quote(c)} = MAX(${quote(c)}, excluded.${quote(c)})`),
          ...Object.keys(inc).map((c) => `${quote(c)} = ${quote(c)} + excluded.${quote(c)}`),
        ];
        const values: Scalar[] = [...Object.values(write.key), ...Object.values(set), ...Object.values(max), ...Object.values(inc)];
        prepared(`upsert ${physical} ${cols} ${Object.keys(max)} ${Object.keys(inc)}`, () =>
          `INSERT INTO ${quote(physical)} (${cols.map(quote).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
           ON CONFLICT (${keyCols.map(quote).join(', ')}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
        ).run(...values);
        return;
      }
    }
  };
};
