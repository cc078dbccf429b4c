import type { TableSpec } from './projection.ts';
import type { Write } from './write.ts';

/**
 * Drops every write to a row that a later `put` of the same row replaces: a put writes
 * the whole row and depends on nothing before it, so the result is the same. A catch-up
 * batch sets a chat's inbox row once per message; this keeps only the last.
 *
 * Only tables keyed by one column are looked at: that is where a batch writes a row again
 * and again (a chat's activity), while rows keyed by several columns (a message, a member)
 * are rarely written twice in a batch, and keying a million of them costs more than it
 * saves. Writes that name no key value (or another table) stay. Keys compare by value and
 * type (Map keys), never merging two distinct values.
 */
export const dropOverwritten = (writes: readonly Write[], tables: Record<string, TableSpec>): Write[] => {
  if (writes.length < 2) return writes as Write[];
  /** Per table keyed by one column: the column and the keys a later put replaces; null: not looked at. */
  const byTable = new Map<string, { column: string; replaced: Set<unknown> } | null>();
  const kept: Write[] = [];
  for (let i = writes.length - 1; i >= 0; i--) {
    const write = writes[i]!;
    let table = byTable.get(write.table);
    if (table === undefined) {
      const primaryKey = tables[write.table]?.primaryKey;
      byTable.set(write.table, (table = primaryKey?.length === 1 ? { column: primaryKey[0]!, replaced: new Set() } : null));
    }
    if (table) {
      const key = (write.op === 'put' ? write.row : write.key)[table.column];
      if (key !== undefined) {
        if (table.replaced.has(key)) continue;
        if (write.op === 'put') table.replaced.add(key);
      }
    }
    kept.push(write);
  }
  return kept.length === writes.length ? (writes as Write[]) : kept.reverse();
};
