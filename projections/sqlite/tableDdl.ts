import type { TableSpec } from '../projection.ts';

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

export const physicalTable = (name: string, build: number, table: string) => `${name}_${build}_${table}`;

/** CREATE TABLE and its indexes. Integers default to 0 so `upsert` with `max`/`inc` starts from zero. */
export const tableDdl = (physical: string, spec: TableSpec): string => {
  const columns = Object.entries(spec.columns).map(([c, t]) =>
    t === 'integer' ? `${quote(c)} INTEGER NOT NULL DEFAULT 0` : `${quote(c)} TEXT`,
  );
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${quote(physical)} (${columns.join(', ')}, PRIMARY KEY (${spec.primaryKey.map(quote).join(', ')})) WITHOUT ROWID`,
    ...(spec.indexes ?? []).map(
      (cols) => `CREATE INDEX IF NOT EXISTS ${quote(`${physical}__${cols.join('_')}`)} ON ${quote(physical)} (${cols.map(quote).join(', ')})`,
    ),
  ];
  return statements.join(';\n');
};

export const dropDdl = (physical: string) => `DROP TABLE IF EXISTS ${quote(physical)}`;

export { quote };
