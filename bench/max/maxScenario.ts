/**
 * Scenario `max`: the direct workload (clients in pairs) stepped up in rate, ×`--factor`
 * per step of a few seconds, until the p99 send→deliver exceeds `--p99-limit` ms, a
 * send fails, deliveries go missing or the achieved rate falls 5 % short; then `--refine`
 * steps halve the gap between the last rate that held and the first that did not (×1.5
 * alone leaves the answer uncertain by half a step). The highest rate that held is the
 * result, for the project and each baseline in turn (the same workload, the same client
 * code), with the ratios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeOptions, parseOptions, UsageError, type OptionSpecs } from '../lib/args.ts';
import { createLoadMonitor } from '../lib/loadMonitor.ts';
import { machineInfo } from '../lib/machine.ts';
import { formatCount, formatMs, markdownTable, progress } from '../lib/report.ts';
import { targetsOf, TARGET_LABELS, type TargetKind } from '../lib/targets.ts';
import { startWorkerPool } from '../lib/workerPool.ts';
import { CHAT_WORKER, closeAll, connectAll, heldUp, primeChats, runLoad, type ChatPool, type LoadPhaseResult } from '../direct/chatPhase.ts';
import { deliverSvg, machineLine, phaseTable } from '../direct/chatReport.ts';
import { pairsOverWorkers, startProfiledTarget, type ProfileSummary } from '../direct/chatTargets.ts';
import type { ReportHeader } from '../lib/reportHeader.ts';
import { searchMaxRate } from './searchMaxRate.ts';

export const maxOptions = {
  rate: { kind: 'number', default: 1_000, description: 'rate of the first step, msg/s' },
  factor: { kind: 'number', default: 1.5, description: 'rate multiplier per step (> 1)' },
  refine: { kind: 'number', default: 2, min: 0, integer: true, description: 'steps bisecting between the last rate that held and the first that did not' },
  'max-rate': { kind: 'number', default: 200_000, description: 'stop stepping at this rate even if it holds' },
  'p99-limit': { kind: 'number', default: 250, description: 'a step holds while p99 send→deliver stays at or under this many ms' },
  clients: { kind: 'number', default: 1_000, integer: true, min: 2, description: 'connected clients, in pairs' },
  duration: { kind: 'number', default: 4, description: 'measured seconds per step' },
  warmup: { kind: 'number', default: 1, min: 0, description: 'seconds of load before each step is measured' },
  workers: { kind: 'number', default: 2, integer: true, description: 'load-generator processes' },
  'content-bytes': { kind: 'number', default: 100, integer: true, min: 24, description: 'bytes of text per message' },
  targets: { kind: 'string', default: 'project,ws,socketio', description: 'comma list of targets, in this order' },
  vs: { kind: 'flag', default: false, description: 'same as --targets project,ws,socketio (the default)' },
  out: { kind: 'string', default: '.bench-out', description: 'directory for the result files' },
  profile: { kind: 'flag', default: false, description: 'V8 CPU profile of the project’s server over its whole run (<out>/max-profile/)' },
} as const satisfies OptionSpecs;

export const maxUsage = `max: the direct workload stepped up in rate until p99 deliver exceeds the limit or errors appear; the last rate that held, per target
${describeOptions(maxOptions)}`;

const WORKER = fileURLToPath(CHAT_WORKER);

export type MaxTargetResult = { target: TargetKind; steps: LoadPhaseResult[]; max_rate_held: number | null; stopped_because: string };
export type MaxReport = ReportHeader<'max'> & {
  targets: MaxTargetResult[];
  ratios: { max_rate_project_over_ws: number | null; max_rate_project_over_socketio: number | null };
  profile?: ProfileSummary;
};

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

const whyNot = (p: LoadPhaseResult, limit: number) => {
  const reasons: string[] = [];
  if (p.deliver_ms.p99_ms > limit) reasons.push(`p99 deliver ${formatMs(p.deliver_ms.p99_ms)} ms > ${limit} ms`);
  if (p.sends.errors > 0) reasons.push(`${p.sends.errors} send errors ${JSON.stringify(p.sends.errors_by_kind)}`);
  if (p.deliveries.missing > p.deliveries.expected * 0.001) reasons.push(`${p.deliveries.missing} deliveries missing`);
  if (p.achieved_msgs_per_s < 0.95 * p.target_rate) reasons.push(`achieved ${formatCount(p.achieved_msgs_per_s)} msg/s`);
  return reasons.join(', ');
};

export const runMaxScenario = async (argv: readonly string[]): Promise<MaxReport> => {
  const options = parseOptions(argv, maxOptions);
  if (options.factor <= 1) throw new UsageError('--factor must be > 1');
  if (options.clients % 2 !== 0) throw new UsageError('--clients must be even (pairs)');
  const kinds = targetsOf(options);
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const started = performance.now();
  progress(`max: ${formatCount(options.clients)} clients in pairs, from ${formatCount(options.rate)} msg/s ×${options.factor} per ${options.warmup}+${options.duration} s step until p99 deliver > ${options['p99-limit']} ms; targets ${kinds.join(', ')}`);
  const pool: ChatPool = await startWorkerPool(WORKER, options.workers);
  const results: MaxTargetResult[] = [];
  let profile: ProfileSummary | undefined;
  try {
    for (const kind of kinds) {
      const target = await startProfiledTarget(kind, options.profile ? join(outDir, 'max-profile') : undefined);
      const monitor = createLoadMonitor(target.pid, pool.pids);
      const steps: LoadPhaseResult[] = [];
      let held: number | null = null;
      let stopped = `reached --max-rate ${options['max-rate']}`;
      try {
        progress(`[${kind}] ${TARGET_LABELS[kind]} on ${target.url} (pid ${target.pid})`);
        const { users, sends } = pairsOverWorkers(`m-${kind}`, options.clients, pool.size);
        const connect = await connectAll(pool, target, users, { label: kind, monitor });
        await primeChats(pool, sends, kind);
        if (connect.failed > 0) throw new Error(`${kind}: ${connect.failed} connections failed ${JSON.stringify(connect.errors_by_kind)}`);
        const search = { start: options.rate, factor: options.factor, maxRate: options['max-rate'], refine: options.refine };
        ({ held } = await searchMaxRate(search, async (rate) => {
          const label = `${kind} @ ${formatCount(rate)}`;
          const result = await runLoad(pool, target, sends, 1, { rate, warmupS: options.warmup, durationS: options.duration, contentBytes: options['content-bytes'], seed: 31 + steps.length }, label, monitor);
          steps.push(result);
          if (!heldUp(result, options['p99-limit'])) {
            stopped = `${formatCount(rate)} msg/s: ${whyNot(result, options['p99-limit'])}`;
            progress(`[${kind}] did not hold at ${stopped}`);
            return false;
          }
          progress(`[${kind}] held ${formatCount(rate)} msg/s: p99 deliver ${formatMs(result.deliver_ms.p99_ms)} ms; ${monitor.line()}`);
          return true;
        }));
        await closeAll(pool);
      } finally {
        monitor.stop();
        await target.stop();
        if (kind === 'project') profile = target.profile() ?? profile;
      }
      results.push({ target: kind, steps, max_rate_held: held, stopped_because: stopped });
    }
  } finally {
    await pool.close();
  }
  const of = (k: TargetKind) => results.find((r) => r.target === k)?.max_rate_held ?? undefined;
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined && b > 0 ? round(a / b) : null);
  const report: MaxReport = {
    scenario: 'max',
    started_at: startedAt,
    took_s: round((performance.now() - started) / 1_000, 1),
    machine,
    settings: {
      start_rate: options.rate,
      factor: options.factor,
      refine_steps: options.refine,
      max_rate: options['max-rate'],
      p99_limit_ms: options['p99-limit'],
      clients: options.clients,
      step_s: { warmup: options.warmup, measured: options.duration },
      workers: options.workers,
      content_bytes: options['content-bytes'],
      targets: kinds,
      holds_when: 'no send errors, ≤ 0.1 % deliveries missing, achieved ≥ 95 % of the rate, p99 send→deliver ≤ the limit',
    },
    targets: results,
    ratios: { max_rate_project_over_ws: ratio(of('project'), of('ws')), max_rate_project_over_socketio: ratio(of('project'), of('socketio')) },
    ...(profile && { profile }),
  };
  writeFileSync(join(outDir, 'max.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = maxMarkdown(report);
  writeFileSync(join(outDir, 'max.md'), markdown);
  // The chart: each target's step at the highest rate that held (or its first step if none did).
  const shown = results.map((r) => {
    const step = r.steps.find((s) => s.target_rate === r.max_rate_held) ?? r.steps[0];
    return step && { ...step, label: `${r.target} @ ${formatCount(step.target_rate)} msg/s` };
  }).filter((s): s is LoadPhaseResult => s !== undefined);
  writeFileSync(join(outDir, 'max.svg'), deliverSvg('send→deliver latency at the highest rate that held, per target', `${formatCount(options.clients)} clients in pairs; limit p99 ${options['p99-limit']} ms; ${machine.cores} × ${machine.cpu_model}`, shown));
  process.stdout.write(`${markdown}\n`);
  progress(`max: wrote ${join(outDir, 'max.{json,md,svg}')}`);
  return report;
};

export const maxMarkdown = (r: MaxReport): string =>
  [
    `## max: highest direct-message rate with p99 send→deliver ≤ ${r.settings.p99_limit_ms} ms`,
    '',
    markdownTable(
      ['target', 'max rate held (msg/s)', 'stopped at', 'steps'],
      r.targets.map((t) => [t.target, t.max_rate_held === null ? 'none' : formatCount(t.max_rate_held), t.stopped_because, t.steps.length]),
    ),
    '',
    `Max-rate ratio project / bare ws: **${r.ratios.max_rate_project_over_ws ?? 'n/a'}**; project / Socket.IO: **${r.ratios.max_rate_project_over_socketio ?? 'n/a'}**.`,
    '',
    'Every step:',
    '',
    phaseTable(r.targets.flatMap((t) => t.steps)),
    '',
    machineLine(r.machine),
    '',
  ].join('\n');
