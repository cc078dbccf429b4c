import type { Scalar, Write } from '../write.ts';
import type { BuildBatch } from './sqliteReadStore.ts';
import { physicalTable } from './tableDdl.ts';
import { isPutOf, sameShape, shapeOf, valueCount, valuesOf, type WriteShape } from './writeShape.ts';

/**
 * A batch of writes on its way to the bulk-load worker. Structured clone of a million
 * small row objects costs about as much as writing them; this costs a fifth: every
 * string value in one string (copied once), everything else in typed arrays (moved).
 */
export type EncodedBatch = {
  builds: { name: string; build: number; checkpoint: bigint; writes: number }[];
  /** Shapes first used by this batch; ids are fixed for the encoder's life. */
  shapes: { id: number; physical: string; shape: WriteShape }[];
  /** Every string value, one after the other. */
  text: string;
  /** Per write: its shape id. */
  heads: Int32Array;
  /** Per value: 0 null, 1 number, 2 string. */
  tags: Uint8Array;
  /** Per string value: its length in UTF-16 code units (substring, never re-encoded). */
  lengths: Int32Array;
  numbers: Float64Array;
};

export const transferList = (b: EncodedBatch): ArrayBuffer[] => [b.heads.buffer, b.tags.buffer, b.lengths.buffer, b.numbers.buffer] as ArrayBuffer[];

const NULL = 0;
const NUMBER = 1;
const STRING = 2;

/** Typed arrays that grow by doubling, filled by index: a million writes go through here. */
const grow = <A extends Int32Array | Uint8Array | Float64Array>(array: A, make: (n: number) => A): A => {
  const bigger = make(array.length * 2);
  bigger.set(array);
  return bigger;
};

type Known = { id: number; shape: WriteShape };
type TableShapes = { physical: string; shapes: Known[]; last?: Known };

export const createBatchEncoder = () => {
  /** Per build (`<name>_<build>`), per logical table: its shapes so far. */
  const byBuild = new Map<string, Map<string, TableShapes>>();
  let nextId = 0;

  const shapeIdOf = (table: TableShapes, write: Write, fresh: EncodedBatch['shapes']): number => {
    if (table.last && isPutOf(write, table.last.shape)) return table.last.id;
    const shape = shapeOf(write);
    let known = table.shapes.find((k) => sameShape(k.shape, shape));
    if (!known) {
      table.shapes.push((known = { id: nextId++, shape }));
      fresh.push({ id: known.id, physical: table.physical, shape });
    }
    table.last = known;
    return known.id;
  };

  return (batches: readonly BuildBatch[]): EncodedBatch => {
    const writeCount = batches.reduce((n, b) => n + b.writes.length, 0);
    const heads = new Int32Array(writeCount);
    let tags = new Uint8Array(writeCount * 16 + 16);
    let lengths = new Int32Array(writeCount * 8 + 8);
    let numbers = new Float64Array(writeCount * 4 + 4);
    let t = 0;
    let s = 0;
    let n = 0;
    const parts: string[] = [];
    const fresh: EncodedBatch['shapes'] = [];

    const value = (v: Scalar | undefined) => {
      if (t === tags.length) tags = grow(tags, (k) => new Uint8Array(k));
      if (typeof v === 'string') {
        tags[t++] = STRING;
        if (s === lengths.length) lengths = grow(lengths, (k) => new Int32Array(k));
        lengths[s++] = v.length;
        parts.push(v);
      } else if (typeof v === 'number') {
        tags[t++] = NUMBER;
        if (n === numbers.length) numbers = grow(numbers, (k) => new Float64Array(k));
        numbers[n++] = v;
      } else if (v === null || v === undefined) tags[t++] = NULL;
      else throw new TypeError(`a read-model value must be a string, a number or null, got ${typeof v}`);
    };

    let w = 0;
    for (const { name, build, writes } of batches) {
      const key = physicalTable(name, build, '');
      let tables = byBuild.get(key);
      if (!tables) byBuild.set(key, (tables = new Map()));
      for (const write of writes) {
        let table = tables.get(write.table);
        if (!table) tables.set(write.table, (table = { physical: physicalTable(name, build, write.table), shapes: [] }));
        heads[w++] = shapeIdOf(table, write, fresh);
        // A put's values straight from its row: no array per write.
        if (write.op === 'put') for (const column in write.row) value(write.row[column]);
        else for (const v of valuesOf(write)) value(v);
      }
    }

    return {
      builds: batches.map((b) => ({ name: b.name, build: b.build, checkpoint: b.checkpoint, writes: b.writes.length })),
      shapes: fresh,
      text: parts.join(''),
      heads,
      // Exact-size copies, whose buffers are transferred.
      tags: tags.slice(0, t),
      lengths: lengths.slice(0, s),
      numbers: numbers.slice(0, n),
    };
  };
};

export type BatchVisitor = {
  write(shapeId: number, values: Scalar[]): void;
  checkpoint(name: string, build: number, checkpoint: bigint): void;
};

/**
 * Replays an encoded batch in order: each build's writes, then its checkpoint. The values
 * array handed to `write` is reused for the next write of the same shape.
 */
export const createBatchDecoder = () => {
  const valuesOf = new Map<number, Scalar[]>();
  return {
    /** The shapes a batch introduces, to prepare statements for before decoding it. */
    learn(batch: EncodedBatch) {
      for (const { id, shape } of batch.shapes) valuesOf.set(id, new Array<Scalar>(valueCount(shape)).fill(null));
    },
    decode(batch: EncodedBatch, visit: BatchVisitor) {
      const { text, heads, tags, lengths, numbers } = batch;
      let w = 0;
      let t = 0;
      let s = 0;
      let n = 0;
      let at = 0;
      for (const b of batch.builds) {
        for (const end = w + b.writes; w < end; w++) {
          const id = heads[w]!;
          const values = valuesOf.get(id)!;
          for (let i = 0; i < values.length; i++) {
            const tag = tags[t++];
            if (tag === STRING) {
              const length = lengths[s++]!;
              values[i] = text.substring(at, at + length);
              at += length;
            } else values[i] = tag === NUMBER ? numbers[n++]! : null;
          }
          visit.write(id, values);
        }
        visit.checkpoint(b.name, b.build, b.checkpoint);
      }
    },
  };
};
