/** Markdown and SVG for the WebSocket load scenarios (direct, group, max): one row per phase. */
import type { MachineInfo } from '../lib/machine.ts';
import { renderPercentileChart } from '../lib/percentileChart.ts';
import { formatCount, formatMiB, formatMs, markdownTable } from '../lib/report.ts';
import type { LoadPhaseResult } from './chatPhase.ts';

export const phaseTable = (phases: readonly LoadPhaseResult[]): string =>
  markdownTable(
    ['phase', 'target msg/s', 'achieved msg/s', 'deliveries/s', 'ack p50', 'ack p99', 'deliver p50', 'deliver p90', 'deliver p99', 'deliver p99.9', 'deliver max', 'errors', 'missing deliveries', 'server CPU cores', 'server peak RSS', 'workers cores', 'other processes cores'],
    phases.map((p) => [
      p.label,
      formatCount(p.target_rate),
      formatCount(p.achieved_msgs_per_s),
      formatCount(p.deliveries.per_s),
      formatMs(p.ack_ms.p50_ms),
      formatMs(p.ack_ms.p99_ms),
      formatMs(p.deliver_ms.p50_ms),
      formatMs(p.deliver_ms.p90_ms),
      formatMs(p.deliver_ms.p99_ms),
      formatMs(p.deliver_ms.p99_9_ms),
      formatMs(p.deliver_ms.max_ms),
      p.sends.errors ? `${formatCount(p.sends.errors)} ${JSON.stringify(p.sends.errors_by_kind)}` : '0',
      formatCount(p.deliveries.missing),
      p.server.cpu_cores.toFixed(2),
      formatMiB(p.server.peak_rss_bytes),
      p.load_workers_cores.toFixed(2),
      p.machine_during_load.other_busy_cores?.toFixed(2) ?? 'n/a',
    ]),
  );

export const machineLine = (m: MachineInfo) =>
  `Machine: ${m.cpu_model}, ${m.cores} cores, ${m.memory_gib} GiB, Node ${m.node}, ${m.platform}; load average ${m.load_average_at_start.join(' / ')} at start.`;

export const deliverSvg = (title: string, subtitle: string, phases: readonly LoadPhaseResult[]): string =>
  renderPercentileChart({
    title,
    subtitle,
    series: phases.map((p) => ({ label: `${p.label} (deliver p99 ${formatMs(p.deliver_ms.p99_ms)} ms)`, points: p.deliver_curve })),
  });
