import type { Scalar, Write } from '../write.ts';
import { quote } from './tableDdl.ts';

/**
 * What picks a write's prepared statement: its op and the columns it names, by role, in
 * one flat list (`GROUP` between roles). Plain data: it crosses to the bulk-load worker.
 */
export type WriteShape = { op: Write['op']; columns: string[] };

/** Between column groups of a shape; a column name cannot contain NUL. */
const GROUP = '\0';

export const shapeOf = (write: Write): WriteShape => {
  switch (write.op) {
    case 'put':
      return { op: 'put', columns: Object.keys(write.row) };
    case 'patch':
      return { op: 'patch', columns: [...Object.keys(write.set), GROUP, ...Object.keys(write.key)] };
    case 'delete':
      return { op: 'delete', columns: Object.keys(write.key) };
    case 'upsert':
      return {
        op: 'upsert',
        columns: [...Object.keys(write.key), GROUP, ...Object.keys(write.set ?? {}), GROUP, ...Object.keys(write.max ?? {}), GROUP, ...Object.keys(write.inc ?? {})],
      };
  }
};

/** Bound values in the order the shape names the columns. */
export const valuesOf = (write: Write): Scalar[] => {
  switch (write.op) {
    case 'put':
      return Object.values(write.row);
    case 'patch':
      return [...Object.values(write.set), ...Object.values(write.key)];
    case 'delete':
      return Object.values(write.key);
    case 'upsert':
      return [...Object.values(write.key), ...Object.values(write.set ?? {}), ...Object.values(write.max ?? {}), ...Object.values(write.inc ?? {})];
  }
};

/** How many values a write of this shape binds. */
export const valueCount = (shape: WriteShape) => shape.columns.filter((c) => c !== GROUP).length;

export const sameShape = (a: WriteShape, b: WriteShape) => {
  if (a.op !== b.op || a.columns.length !== b.columns.length) return false;
  for (let i = 0; i < a.columns.length; i++) if (a.columns[i] !== b.columns[i]) return false;
  return true;
};

/** Whether a put's row has exactly the shape's columns in its order, without listing its keys. */
export const isPutOf = (write: Write, shape: WriteShape) => {
  if (write.op !== 'put' || shape.op !== 'put') return false;
  let i = 0;
  for (const column in write.row) if (shape.columns[i++] !== column) return false;
  return i === shape.columns.length;
};

const groups = (columns: readonly string[]): string[][] => {
  const out: string[][] = [[]];
  for (const c of columns) {
    if (c === GROUP) out.push([]);
    else out.at(-1)!.push(c);
  }
  return out;
};

const equalsEach = (cols: readonly string[], joiner: string) => cols.map((c) => `${quote(c)} = ?`).join(joiner);

export const sqlOf = (physical: string, { op, columns }: WriteShape): string => {
  const table = quote(physical);
  switch (op) {
    case 'put':
      return `INSERT OR REPLACE INTO ${table} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    case 'patch': {
      const [set = [], key = []] = groups(columns);
      return `UPDATE ${table} SET ${equalsEach(set, ', ')} WHERE ${equalsEach(key, ' AND ')}`;
    }
    case 'delete':
      return `DELETE FROM ${table} WHERE ${equalsEach(columns, ' AND ')}`;
    case 'upsert': {
      const [key = [], set = [], max = [], inc = []] = groups(columns);
      const cols = [...key, ...set, ...max, ...inc];
      const updates = [
        ...set.map((c) => `${quote(c)} = excluded.${quote(c)}`),
        ...max.map((c) => `${quote(c)} = MAX(${quote(c)}, excluded.${quote(c)})`),
        ...inc.map((c) => `${quote(c)} = ${quote(c)} + excluded.${quote(c)}`),
      ];
      return `INSERT INTO ${table} (${cols.map(quote).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
           ON CONFLICT (${key.map(quote).join(', ')}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`;
    }
  }
};
