import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../testing/propertyRuns.ts';
import { backoffCeiling, createBackoff, fullJitter } from './backoff.ts';

describe('backoff', () => {
  it('the ceiling doubles from base and stops at max', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(n, 100, 2_000))).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(backoffCeiling(5000, 100, 2_000)).toBe(2000);
  });

  it('full jitter: random 0 gives 0, random near 1 gives just under the ceiling', () => {
    const low = createBackoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    expect([low.next(), low.next(), low.next()]).toEqual([0, 0, 0]);
    const high = createBackoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([high.next(), high.next(), high.next(), high.next(), high.next()]).toEqual([99, 199, 399, 799, 999]);
  });

  it('reset starts from the base again', () => {
    const b = createBackoff({ baseMs: 10, maxMs: 1000, random: () => 0.5 });
    b.next();
    b.next();
    b.next();
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(5);
  });

  it('property: every delay is an integer in [0, min(max, base·2^n)] with the real Math.random', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 120_000 }), fc.integer({ min: 1, max: 40 }), (baseMs, maxMs, tries) => {
        const b = createBackoff({ baseMs, maxMs });
        for (let n = 0; n < tries; n++) {
          const d = b.next();
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(Math.min(maxMs, baseMs * 2 ** n));
          expect(fullJitter(n, { baseMs, maxMs })).toBeLessThanOrEqual(maxMs);
        }
      }),
      { numRuns: propertyRuns },
    );
  });

  it('is spread out, not synchronized: 2,000 draws at one attempt cover the range', () => {
    const draws = Array.from({ length: 2000 }, () => fullJitter(4, { baseMs: 100, maxMs: 10_000 }));
    const buckets = new Array(8).fill(0);
    for (const d of draws) buckets[Math.min(7, Math.floor(d / 200))]++;
    // uniform over [0, 1600): ~250 per bucket; every bucket well populated
    for (const count of buckets) expect(count).toBeGreaterThan(150);
  });

  it('refuses negative settings', () => {
    expect(() => createBackoff({ baseMs: -1 })).toThrow(RangeError);
  });
});
