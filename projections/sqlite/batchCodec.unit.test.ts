import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../testing/propertyRuns.ts';
import { patch, put, remove, upsert, type Scalar, type Write } from '../write.ts';
import { createBatchDecoder, createBatchEncoder, type EncodedBatch } from './batchCodec.ts';
import type { BuildBatch } from './sqliteReadStore.ts';
import { physicalTable } from './tableDdl.ts';
import { shapeOf, valuesOf, type WriteShape } from './writeShape.ts';

const scalar: fc.Arbitrary<Scalar> = fc.oneof(fc.string({ unit: 'binary' }), fc.string(), fc.integer(), fc.double(), fc.constant(null));
const row = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), scalar, { minKeys: 1 });
const anyWrite: fc.Arbitrary<Write> = fc.oneof(
  fc.tuple(fc.constantFrom('t', 'u'), row).map(([t, r]) => put(t, r)),
  fc.tuple(row, row).map(([k, s]) => patch('t', k, s)),
  row.map((k) => remove('u', k)),
  fc.tuple(row, fc.dictionary(fc.constantFrom('m', 'n'), fc.integer())).map(([k, max]) => upsert('t', k, { max })),
);
const batches: fc.Arbitrary<BuildBatch[]> = fc.array(
  fc.record({ name: fc.constantFrom('x', 'y'), build: fc.nat(3), writes: fc.array(anyWrite, { maxLength: 12 }), checkpoint: fc.bigInt({ min: 0n, max: 1n << 62n }) }),
  { maxLength: 3 },
);

/** What the worker sees of a batch: per write its physical table, shape and values; per build its checkpoint. */
const decodeAll = (decoder: ReturnType<typeof createBatchDecoder>, shapes: Map<number, { physical: string; shape: WriteShape }>, batch: EncodedBatch) => {
  for (const s of batch.shapes) shapes.set(s.id, { physical: s.physical, shape: s.shape });
  decoder.learn(batch);
  const seen: unknown[] = [];
  decoder.decode(batch, {
    write: (id, values) => seen.push({ ...shapes.get(id)!, values: [...values] }),
    checkpoint: (name, build, checkpoint) => seen.push({ name, build, checkpoint }),
  });
  return seen;
};

const expected = (bs: readonly BuildBatch[]) =>
  bs.flatMap((b) => [
    ...b.writes.map((w) => ({ physical: physicalTable(b.name, b.build, w.table), shape: shapeOf(w), values: valuesOf(w) })),
    { name: b.name, build: b.build, checkpoint: b.checkpoint },
  ]);

describe('batch codec', () => {
  it('hands the worker every write with its shape and exact values, in order, batch after batch', () => {
    fc.assert(
      fc.property(fc.array(batches, { minLength: 1, maxLength: 4 }), (sequence) => {
        const encode = createBatchEncoder();
        const decoder = createBatchDecoder();
        const shapes = new Map<number, { physical: string; shape: WriteShape }>();
        for (const bs of sequence) {
          // Through structured clone, as postMessage does.
          const batch = structuredClone(encode(bs));
          expect(decodeAll(decoder, shapes, batch)).toEqual(expected(bs));
        }
      }),
      { numRuns: propertyRuns },
    );
  });

  it('refuses values a read model cannot hold', () => {
    const encode = createBatchEncoder();
    expect(() => encode([{ name: 'x', build: 1, writes: [put('t', { a: true as unknown as Scalar })], checkpoint: 1n }])).toThrow(TypeError);
  });
});
