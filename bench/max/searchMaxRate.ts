export type RateSearch = { start: number; factor: number; maxRate: number; refine: number };

/**
 * Steps the rate up ×`factor` from `start` until `holds` says no (or `maxRate` is passed),
 * then `refine` times halves the gap between the highest rate that held and the lowest that
 * did not. `holds` runs one load step; the answer is the highest rate that held (null if the
 * first did not) and the lowest that failed (undefined if none did).
 */
export const searchMaxRate = async ({ start, factor, maxRate, refine }: RateSearch, holds: (rate: number) => Promise<boolean>) => {
  let held: number | null = null;
  let failed: number | undefined;
  for (let rate = start; rate <= maxRate; rate = Math.round(rate * factor)) {
    if (!(await holds(rate))) {
      failed = rate;
      break;
    }
    held = rate;
  }
  for (let i = 0; i < refine && held !== null && failed !== undefined; i++) {
    const mid = Math.round((held + failed) / 2);
    if (mid <= held || mid >= failed) break;
    if (await holds(mid)) held = mid;
    else failed = mid;
  }
  return { held, failed };
};
