import type { TableSpec } from '../projection.ts';

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

export const physicalTable = (name: string, build: number, table: string) => `${name}_${build}_${table}`;

/** Physical name of a read model's table in its live build (`live`: build by read model). */
export const liveTable = (live: ReadonlyMap<string, number>, name: string, table: string): string => {
  const build = live.get(name);
  if (build === undefined) throw new Error(`read model ${name} has no live build`);
  return physicalTable(name, build, table);
};

/** CREATE TABLE with its primary key. Integers default to 0 so `upsert` with `max`/`inc` starts from zero. */
export const tableDdl = (physical: string, spec: TableSpec): string => {
  const columns = Object.entries(spec.columns).map(([c, t]) =>
    t === 'integer' ? `${quote(c)} INTEGER NOT NULL DEFAULT 0` : `${quote(c)} TEXT`,
  );
  return `CREATE TABLE IF NOT EXISTS ${quote(physical)} (${columns.join(', ')}, PRIMARY KEY (${spec.primaryKey.map(quote).join(', ')})) WITHOUT ROWID`;
};

/** Name of a secondary index: `<physical table>__<columns>`. */
export const indexName = (physical: string, cols: readonly string[]) => `${physical}__${cols.join('_')}`;

/** The secondary indexes of a table: built with it, or once after a bulk load (cheaper than row by row). */
export const indexDdl = (physical: string, spec: TableSpec): string =>
  (spec.indexes ?? [])
    .map((cols) => {
      const lead = cols[0]!;
      const where = spec.sparse?.includes(lead) ? ` WHERE ${quote(lead)} IS NOT NULL` : '';
      return `CREATE INDEX IF NOT EXISTS ${quote(indexName(physical, cols))} ON ${quote(physical)} (${cols.map(quote).join(', ')})${where}`;
    })
    .join(';\n');

export const dropDdl = (physical: string) => `DROP TABLE IF EXISTS ${quote(physical)}`;

export { quote };
