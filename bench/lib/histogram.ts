import * as hdr from 'hdr-histogram-js';

/**
 * Latency histograms (HdrHistogram): values are recorded in microseconds with 3
 * significant digits, from 1 µs to 2 minutes. Workers send theirs to the parent as
 * compressed base64 (the HdrHistogram wire format), which merges them exactly.
 */
export type Histogram = hdr.Histogram;

const BIT_BUCKET_SIZE = 32;
const HIGHEST_MICROS = 120_000_000;

export const createLatencyHistogram = (): Histogram =>
  hdr.build({
    bitBucketSize: BIT_BUCKET_SIZE,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_MICROS,
    numberOfSignificantValueDigits: 3,
  });

/** Records a latency given in milliseconds (fractional), as whole microseconds. */
export const recordMillis = (histogram: Histogram, ms: number): void =>
  histogram.recordValue(Math.min(HIGHEST_MICROS, Math.max(1, Math.round(ms * 1_000))));

export const encodeHistogram = (histogram: Histogram): string => hdr.encodeIntoCompressedBase64(histogram);
export const decodeHistogram = (encoded: string): Histogram => hdr.decodeFromCompressedBase64(encoded, BIT_BUCKET_SIZE);

export const mergeHistograms = (histograms: readonly Histogram[]): Histogram => {
  const total = createLatencyHistogram();
  for (const h of histograms) total.add(h);
  return total;
};

export type LatencySummary = {
  count: number;
  mean_ms: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  p99_9_ms: number;
  max_ms: number;
};

const ms = (micros: number) => Math.round(micros) / 1_000;

/** Percentiles of an empty histogram are NaN, so "no data" can't pass for "0 ms". */
export const summarize = (h: Histogram): LatencySummary => {
  const at = (p: number) => (h.totalCount === 0 ? Number.NaN : ms(h.getValueAtPercentile(p)));
  return {
    count: h.totalCount,
    mean_ms: h.totalCount === 0 ? Number.NaN : Math.round(h.mean) / 1_000,
    p50_ms: at(50),
    p90_ms: at(90),
    p99_ms: at(99),
    p99_9_ms: at(99.9),
    max_ms: h.totalCount === 0 ? Number.NaN : ms(h.maxValue),
  };
};

export type PercentilePoint = { percentile: number; ms: number };

/**
 * The latency-by-percentile curve HdrHistogram plots: percentiles spaced evenly on
 * log10(1 / (1 - p)), i.e. 0, 90, 99, 99.9 … up to what the sample count supports
 * (n samples say nothing past 1 - 1/n), then the maximum.
 */
export const percentileCurve = (h: Histogram, stepsPerNine = 20, maxNines = 5): PercentilePoint[] => {
  if (h.totalCount === 0) return [];
  const nines = Math.min(maxNines, Math.log10(h.totalCount));
  const points: PercentilePoint[] = [];
  for (let i = 0; i / stepsPerNine <= nines; i++) {
    const percentile = 100 * (1 - 10 ** -(i / stepsPerNine));
    points.push({ percentile: Number(percentile.toFixed(6)), ms: ms(h.getValueAtPercentile(percentile)) });
  }
  points.push({ percentile: 100, ms: ms(h.maxValue) });
  return points;
};
