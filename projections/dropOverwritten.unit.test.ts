import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../testing/propertyRuns.ts';
import { dropOverwritten } from './dropOverwritten.ts';
import type { TableSpec } from './projection.ts';
import { patch, put, remove, upsert, type Row, type Write } from './write.ts';

const tables: Record<string, TableSpec> = {
  t: { columns: { a: 'text', b: 'integer', v: 'text', n: 'integer' }, primaryKey: ['a', 'b'] },
  u: { columns: { k: 'text', v: 'text' }, primaryKey: ['k'] },
};

/** What SQLite does with the writes (`put` = INSERT OR REPLACE), on rows in memory. */
const apply = (writes: readonly Write[]) => {
  const state = new Map<string, Row[]>(Object.keys(tables).map((t) => [t, []]));
  const defaults = (table: string): Row =>
    Object.fromEntries(Object.entries(tables[table]!.columns).map(([c, type]) => [c, type === 'integer' ? 0 : null]));
  const matches = (row: Row, key: Row) => Object.entries(key).every(([c, v]) => row[c] === v);
  const pkOf = (table: string, row: Row): Row => Object.fromEntries(tables[table]!.primaryKey.map((c) => [c, row[c]!]));
  for (const w of writes) {
    const rows = state.get(w.table)!;
    if (w.op === 'put') {
      const row = { ...defaults(w.table), ...w.row };
      state.set(w.table, [...rows.filter((r) => !matches(r, pkOf(w.table, row))), row]);
    } else if (w.op === 'patch') {
      for (const r of rows) if (matches(r, w.key)) Object.assign(r, w.set);
    } else if (w.op === 'delete') {
      state.set(w.table, rows.filter((r) => !matches(r, w.key)));
    } else {
      const found = rows.find((r) => matches(r, w.key));
      const target = found ?? { ...defaults(w.table), ...w.key };
      if (!found) rows.push(target);
      Object.assign(target, w.set ?? {});
      for (const [c, v] of Object.entries(w.max ?? {})) target[c] = found ? Math.max(target[c] as number, v) : v;
      for (const [c, v] of Object.entries(w.inc ?? {})) target[c] = (found ? (target[c] as number) : 0) + v;
    }
  }
  return Object.fromEntries([...state].map(([t, rows]) => [t, rows.map((r) => JSON.stringify(r)).sort()]));
};

const a = fc.constantFrom('x', 'y', '1');
const b = fc.constantFrom(1, 2);
const anyWrite: fc.Arbitrary<Write> = fc.oneof(
  fc.record({ a, b, v: fc.string({ maxLength: 2 }) }).map((r) => put('t', r)),
  fc.record({ a, b, n: fc.nat(9) }).map(({ a, b, n }) => put('t', { a, b, n })),
  fc.record({ a, b, v: fc.string({ maxLength: 2 }) }).map(({ a, b, v }) => patch('t', { a, b }, { v })),
  fc.record({ a, b, n: fc.nat(9) }).map(({ a, b, n }) => upsert('t', { a, b }, { inc: { n } })),
  fc.record({ a, b }).map((key) => remove('t', key)),
  a.map((a) => remove('t', { a })), // part of the key: several rows
  fc.record({ k: fc.constantFrom('p', 'q'), v: fc.string({ maxLength: 2 }) }).map((r) => put('u', r)),
  fc.record({ k: fc.constantFrom('p', 'q'), v: fc.string({ maxLength: 2 }) }).map(({ k, v }) => patch('u', { k }, { v })),
  fc.constantFrom('p', 'q').map((k) => upsert('u', { k }, { set: { v: 'u' } })),
  fc.constantFrom('p', 'q').map((k) => remove('u', { k })),
);

describe('dropOverwritten', () => {
  it('keeps only the last put of a row and what follows it', () => {
    const writes = [put('u', { k: 'p', v: '1' }), put('u', { k: 'q', v: '2' }), patch('u', { k: 'p' }, { v: '3' }), put('u', { k: 'p', v: '4' })];
    expect(dropOverwritten(writes, tables)).toEqual([writes[1], writes[3]]);
  });

  it('keeps writes of tables keyed by several columns, and values of another type', () => {
    const twice = [put('t', { a: '1', b: 1, v: 'a' }), put('t', { a: '1', b: 1, v: 'b' })];
    expect(dropOverwritten(twice, tables)).toEqual(twice);
    const typed = [put('u', { k: '1', v: 'a' }), put('u', { k: 1 as unknown as string, v: 'b' })];
    expect(dropOverwritten(typed, tables)).toEqual(typed);
  });

  it('leaves tables without a spec alone', () => {
    const writes = [put('other', { id: 1 }), put('other', { id: 1 })];
    expect(dropOverwritten(writes, tables)).toEqual(writes);
  });

  it('gives the same rows as applying every write', () => {
    fc.assert(
      fc.property(fc.array(anyWrite, { maxLength: 30 }), (writes) => {
        expect(apply(dropOverwritten(writes, tables))).toEqual(apply(writes));
      }),
      { numRuns: propertyRuns },
    );
  });
});
