import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../testing/propertyRuns.ts';
import { searchMaxRate } from './searchMaxRate.ts';

/** A target that holds every rate up to `capacity`: the search must bracket it. */
const upTo = (capacity: number) => {
  const tried: number[] = [];
  return { tried, holds: async (rate: number) => (tried.push(rate), rate <= capacity) };
};

describe('searchMaxRate', () => {
  it('steps ×factor, then bisects: 1,000 ×1.5 against a capacity of 6,000 ends with 5,696 held and 6,329 failed', async () => {
    const t = upTo(6_000);
    const r = await searchMaxRate({ start: 1_000, factor: 1.5, maxRate: 100_000, refine: 2 }, t.holds);
    expect(t.tried).toEqual([1_000, 1_500, 2_250, 3_375, 5_063, 7_595, 6_329, 5_696]);
    expect(r).toEqual({ held: 5_696, failed: 6_329 });
  });

  it('brackets any capacity: held ≤ capacity < failed, the gap halved once per refine step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 0, max: 4 }), async (capacity, refine) => {
        const t = upTo(capacity);
        const { held, failed } = await searchMaxRate({ start: 1_000, factor: 1.5, maxRate: 150_000, refine }, t.holds);
        if (held !== null) expect(held).toBeLessThanOrEqual(capacity);
        if (failed !== undefined) expect(failed).toBeGreaterThan(capacity);
        if (held !== null && failed !== undefined) expect(failed - held).toBeLessThanOrEqual(Math.ceil(held * 0.5 / 2 ** refine) + refine + 1);
        if (capacity < 1_000) expect({ held, tried: t.tried }).toEqual({ held: null, tried: [1_000] });
        if (capacity >= 150_000) expect(failed).toBeUndefined();
      }),
      { numRuns: propertyRuns },
    );
  });
});
