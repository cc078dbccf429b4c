import type { PercentilePoint } from './histogram.ts';

/**
 * A latency-by-percentile chart in the HdrHistogram style, as a standalone SVG: the
 * x axis is log10(1 / (1 - p)), so 0, 90, 99, 99.9, 99.99 % are evenly spaced and the
 * tail gets the room it deserves; the y axis is latency in ms; one line per series.
 */
export type ChartSeries = { label: string; points: readonly PercentilePoint[] };

const WIDTH = 820;
const HEIGHT = 480;
const MARGIN = { top: 48, right: 44, bottom: 64, left: 72 };
const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** Position of a percentile on the x axis, in "nines"; the maximum (100 %) sits just past the last point. */
export const ninesOf = (percentile: number, capNines: number): number =>
  percentile >= 100 ? capNines : Math.min(capNines, Math.log10(100 / (100 - percentile)));

/** 1, 2, 2.5, 5 × 10^k: a round step giving about `count` ticks up to `max`. */
const niceStep = (max: number, count: number): number => {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw)! * magnitude;
  return step;
};

const percentLabel = (nines: number): string => {
  if (nines === 0) return '0%';
  const p = 100 * (1 - 10 ** -nines);
  return `${p.toFixed(Math.max(0, nines - 2))}%`;
};

const fmt = (n: number) => (Math.round(n * 100) / 100).toString();

export const renderPercentileChart = ({ title, subtitle, series }: { title: string; subtitle?: string; series: readonly ChartSeries[] }): string => {
  const lastFinite = Math.max(1, ...series.flatMap((s) => s.points.filter((p) => p.percentile < 100).map((p) => ninesOf(p.percentile, 99))));
  // The max is drawn a little right of the last percentile the samples support.
  const capNines = Math.ceil(lastFinite * 4) / 4 + 0.25;
  const axisNines = Math.max(1, Math.ceil(capNines));
  const yMaxData = Math.max(0.001, ...series.flatMap((s) => s.points.map((p) => p.ms)));
  const yStep = niceStep(yMaxData, 6);
  const yMax = Math.ceil(yMaxData / yStep) * yStep;

  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (nines: number) => MARGIN.left + (nines / axisNines) * plotW;
  const y = (ms: number) => MARGIN.top + plotH - (ms / yMax) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="16" font-weight="600">${escapeXml(title)}</text>`,
  );
  if (subtitle) parts.push(`<text x="${WIDTH / 2}" y="40" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>`);

  // Grid and ticks.
  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 8}" y="${fmt(y(v) + 4)}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  for (let n = 0; n <= axisNines; n++) {
    parts.push(
      `<line x1="${fmt(x(n))}" x2="${fmt(x(n))}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`,
      `<text x="${fmt(x(n))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${percentLabel(n)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 18}" text-anchor="middle">percentile (log scale of 1 / (1 − p); the last point of each line is the max)</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">latency (ms)</text>`,
  );

  // One line per series, then the legend.
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const points = s.points.map((p) => `${fmt(x(ninesOf(p.percentile, capNines)))},${fmt(y(p.ms))}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" points="${points}"/>`);
    const ly = MARGIN.top + 16 + i * 18;
    parts.push(
      `<line x1="${MARGIN.left + 12}" x2="${MARGIN.left + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${MARGIN.left + 42}" y="${ly}">${escapeXml(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
};
