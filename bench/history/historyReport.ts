import type { LatencySummary, PercentilePoint } from '../lib/histogram.ts';
import { renderPercentileChart } from '../lib/percentileChart.ts';
import { formatCount, formatMiB, formatMs, markdownTable } from '../lib/report.ts';
import type { ReportHeader } from '../lib/reportHeader.ts';

/** Everything `history.json` holds; the .md and .svg are drawn from it. */
export type PhaseResult = {
  label: string;
  messages: number;
  chats: number;
  messages_per_chat: number;
  users: number;
  generation: {
    events: number;
    append_and_project_s: number;
    projection_tail_s: number;
    total_s: number;
    events_per_s: number;
    /** Seconds waited after the projections until the server was idle (the delivery router's tail), before any load. */
    settle_s: number;
  };
  store_bytes: { events_db: number; read_models_db: number };
  load: {
    target_rps: number;
    requests: number;
    ok: number;
    errors: number;
    errors_by_kind: Record<string, number>;
    achieved_rps: number;
    latency_ms: LatencySummary;
    percentile_curve: PercentilePoint[];
    mean_response_bytes: number;
    by_cursor: { none: number; before: number; after: number };
    max_send_lag_ms: number;
    load_generator_cpu_s: number;
    load_generator_cpu_cores: number;
  };
  server: {
    note: string;
    wall_s: number;
    cpu_s: number;
    cpu_user_s: number;
    cpu_system_s: number;
    cpu_cores_busy: number;
    cpu_ms_per_request: number | null;
    rss_start_bytes: number;
    peak_rss_bytes: number;
    peak_rss_source: 'VmHWM' | 'samples';
  };
  /** Whole machine over the measured window, in cores; `other_busy_cores` is what neither the server nor the load workers used. */
  machine_during_load: { busy_cores: number | null; other_busy_cores: number | null; load_average: number[] };
  /** With --profile: the server's CPU profile over the measured window, summarized. */
  profile?: { file: string; busy_ms: number; idle_ms: number; by_function: { name: string; percent: number }[]; by_file: { name: string; percent: number }[] };
};

/** The floor phase: the large store's load against a bare node:http server (no store, so no generation figures). */
export type FloorResult = Pick<PhaseResult, 'label' | 'load' | 'server' | 'machine_during_load' | 'profile'> & { page_bytes: number };

export type HistoryReport = ReportHeader<
  'history',
  {
    rate: number;
    duration_s: number;
    prime_s: number;
    warmup_s: number;
    workers: number;
    limit: number;
    messages_large: number;
    messages_small: number;
    messages_per_chat: number;
    query_mix: string;
    latency: string;
    profiled: boolean;
  }
> & {
  phases: PhaseResult[];
  p99_ratio_large_over_small: number | null;
  /** The large store's requests against a bare node:http server answering its page from memory (null with --no-floor). */
  floor: FloorResult | null;
  p99_ratio_large_over_floor: number | null;
  target: { p99_ms: number; rate: number; messages: number; applies: boolean; met: boolean };
};

const describe = (p: PhaseResult | FloorResult) =>
  'messages' in p ? `${p.label}: ${formatCount(p.messages)} msgs, ${formatCount(p.chats)} chats` : `floor: bare node:http, the large store's page (${formatCount(p.page_bytes)} bytes) from memory`;

export const historyMarkdown = (r: HistoryReport): string => {
  const s = r.settings;
  const measured: (PhaseResult | FloorResult)[] = [...r.phases, ...(r.floor ? [r.floor] : [])];
  const rows = measured.map((p) => [
    describe(p),
    formatCount(p.load.target_rps),
    formatCount(p.load.achieved_rps),
    formatMs(p.load.latency_ms.p50_ms),
    formatMs(p.load.latency_ms.p90_ms),
    formatMs(p.load.latency_ms.p99_ms),
    formatMs(p.load.latency_ms.p99_9_ms),
    formatMs(p.load.latency_ms.max_ms),
    formatCount(p.load.errors),
    `${p.server.cpu_cores_busy.toFixed(2)} (${p.server.cpu_ms_per_request ?? 'n/a'} ms/req)`,
    formatMiB(p.server.peak_rss_bytes),
  ]);
  const generation = r.phases.map((p) => [
    p.label,
    formatCount(p.generation.events),
    `${p.generation.total_s} s`,
    formatCount(p.generation.events_per_s),
    `${p.generation.settle_s} s`,
    `${formatMiB(p.store_bytes.events_db)} + ${formatMiB(p.store_bytes.read_models_db)}`,
  ]);
  const behind = r.phases.filter((p) => p.load.achieved_rps < 0.99 * p.load.target_rps || p.load.errors > 0);
  const saturation = behind.length
    ? `**${behind.map((p) => p.label).join(' and ')}: the server did not keep up with ${formatCount(s.rate)} req/s** ` +
      `(${behind.map((p) => `${p.label}: ${formatCount(p.load.achieved_rps)} req/s, errors ${JSON.stringify(p.load.errors_by_kind)}`).join('; ')}): ` +
      'requests queued, so the latencies above mostly measure the queue, and the p99 ratio compares queues, not query costs.'
    : 'Both sizes kept up with the rate.';
  const target = r.target.applies
    ? `Target (p99 ≤ ${r.target.p99_ms} ms at ${formatCount(r.target.rate)} req/s with ${formatCount(r.target.messages)} messages): **${r.target.met ? 'met' : 'missed'}**.`
    : `Target (p99 ≤ ${r.target.p99_ms} ms at ${formatCount(r.target.rate)} req/s with ${formatCount(r.target.messages)} messages): not applicable at these settings.`;
  return [
    `## history: GET /v1/messages at ${formatCount(s.rate)} req/s`,
    '',
    `${s.duration_s} s measured after ${s.warmup_s} s warm-up, open loop from ${s.workers} worker processes, limit ${s.limit}, ` +
      `${formatCount(s.messages_per_chat)} messages per chat. Latency in ms from the intended send time.`,
    '',
    markdownTable(['store', 'target req/s', 'achieved req/s', 'p50', 'p90', 'p99', 'p99.9', 'max', 'errors', 'server CPU cores', 'server peak RSS'], rows),
    '',
    `p99 ratio large / small: **${r.p99_ratio_large_over_small ?? 'n/a'}**; large / floor: **${r.p99_ratio_large_over_floor ?? 'n/a'}**. ${target}`,
    '',
    saturation,
    '',
    markdownTable(['store', 'events written', 'generation (append + project)', 'events/s', 'server idle after', 'events.db + read-models.db'], generation),
    '',
    `Machine: ${r.machine.cpu_model}, ${r.machine.cores} cores, ${r.machine.memory_gib} GiB, Node ${r.machine.node}, ${r.machine.platform}; ` +
      `load average ${r.machine.load_average_at_start.join(' / ')} at start.`,
    '',
    markdownTable(
      ['store', 'server cores', 'load workers cores', 'other processes cores', 'machine busy cores'],
      measured.map((p) => [
        p.label,
        p.server.cpu_cores_busy.toFixed(2),
        p.load.load_generator_cpu_cores.toFixed(2),
        p.machine_during_load.other_busy_cores?.toFixed(2) ?? 'n/a',
        `${p.machine_during_load.busy_cores?.toFixed(2) ?? 'n/a'} of ${r.machine.cores}`,
      ]),
    ),
    '',
  ].join('\n');
};

export const historySvg = (r: HistoryReport): string =>
  renderPercentileChart({
    title: `GET /v1/messages latency by percentile at ${formatCount(r.settings.rate)} req/s`,
    subtitle: `${r.settings.duration_s} s open loop, limit ${r.settings.limit}; ${r.machine.cores} × ${r.machine.cpu_model}, Node ${r.machine.node}`,
    series: [
      ...r.phases.map((p) => ({
        label: `${formatCount(p.messages)} messages (p99 ${formatMs(p.load.latency_ms.p99_ms)} ms)`,
        points: p.load.percentile_curve,
      })),
      ...(r.floor ? [{ label: `floor: bare node:http, page from memory (p99 ${formatMs(r.floor.load.latency_ms.p99_ms)} ms)`, points: r.floor.load.percentile_curve }] : []),
    ],
  });
