/**
 * Scenario `direct`: 1,000 clients in pairs, open-loop direct messages at a fixed total
 * rate, send→ack and send→deliver latency from the intended send time, against the
 * project's server and the baselines (same workload, same client code, one after the
 * other), with the ratios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commonOptions, describeOptions, parseOptions, UsageError, type OptionSpecs } from '../lib/args.ts';
import { createLoadMonitor } from '../lib/loadMonitor.ts';
import { machineInfo } from '../lib/machine.ts';
import { formatCount, formatMs, progress } from '../lib/report.ts';
import { targetsOf, TARGET_LABELS, type TargetKind } from '../lib/targets.ts';
import { startWorkerPool } from '../lib/workerPool.ts';
import { CHAT_WORKER, closeAll, connectAll, primeChats, runLoad, type ChatPool, type ConnectSummary, type LoadPhaseResult } from './chatPhase.ts';
import { deliverSvg, machineLine, phaseTable } from './chatReport.ts';
import { pairsOverWorkers, startProfiledTarget, type ProfileSummary } from './chatTargets.ts';
import type { ReportHeader } from '../lib/reportHeader.ts';

export const directOptions = {
  ...commonOptions,
  rate: { kind: 'number', default: 5_000, description: 'messages per second, all clients together (open loop)' },
  clients: { kind: 'number', default: 1_000, integer: true, min: 2, description: 'connected clients, in pairs that message each other' },
  'content-bytes': { kind: 'number', default: 100, integer: true, min: 24, description: 'bytes of text per message' },
  targets: { kind: 'string', default: 'project,ws', description: 'comma list of targets, run in this order: project, ws (bare ws relay), socketio (Socket.IO relay)' },
  vs: { kind: 'flag', default: false, description: 'same as --targets project,ws,socketio: the project and both baselines alternately, with ratios' },
  rounds: { kind: 'number', default: 1, integer: true, description: 'repeat the target sequence this many times (alternating) and keep each target’s median-p99 round' },
} as const satisfies OptionSpecs;

export const directUsage = `direct: pairs of clients exchanging direct messages at a fixed rate; send→ack and send→deliver latency, vs. baselines
${describeOptions(directOptions)}`;

/** The targets: p99 send→deliver ≤ 100 ms at 5,000 msg/s and ≤ 2× the bare relay's p99 at the same rate. */
const TARGET = { p99_ms: 100, rate: 5_000, max_ratio_to_ws: 2 };
const WORKER = fileURLToPath(CHAT_WORKER);

export type DirectReport = ReportHeader<'direct'> & {
  phases: (LoadPhaseResult & { connect: ConnectSummary; round: number })[];
  /** Per target, the phase used for the ratios (median p99 over the rounds). */
  by_target: Partial<Record<TargetKind, LoadPhaseResult>>;
  ratios: { deliver_p99_project_over_ws: number | null; deliver_p99_project_over_socketio: number | null; ack_p99_project_over_ws: number | null; ack_p99_project_over_socketio: number | null };
  target: { p99_ms: number; rate: number; max_ratio_to_ws: number; applies: boolean; met_absolute: boolean | null; met_ratio: boolean | null };
  profile?: ProfileSummary;
};

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && Number.isFinite(a / b) && b > 0 ? round(a / b, 2) : null);

export const runDirectScenario = async (argv: readonly string[]): Promise<DirectReport> => {
  const options = parseOptions(argv, directOptions);
  const kinds = targetsOf(options);
  if (options.clients % 2 !== 0) throw new UsageError('--clients must be even (pairs)');
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const started = performance.now();
  progress(
    `direct: ${formatCount(options.clients)} clients in pairs, ${formatCount(options.rate)} msg/s for ${options.duration} s after ${options.warmup} s warm-up, ` +
      `${options.workers} load workers; targets ${kinds.join(', ')} × ${options.rounds}`,
  );
  const pool: ChatPool = await startWorkerPool(WORKER, options.workers);
  const phases: DirectReport['phases'] = [];
  let profile: ProfileSummary | undefined;
  try {
    for (let r = 0; r < options.rounds; r++) {
      for (const kind of kinds) {
        const label = options.rounds > 1 ? `${kind} #${r + 1}` : kind;
        const target = await startProfiledTarget(kind, options.profile && r === 0 ? join(outDir, 'direct-profile') : undefined);
        const monitor = createLoadMonitor(target.pid, pool.pids);
        try {
          progress(`[${label}] ${TARGET_LABELS[kind]} on ${target.url} (pid ${target.pid})`);
          const { users, sends } = pairsOverWorkers(`d${r}`, options.clients, pool.size);
          const connect = await connectAll(pool, target, users, { label, monitor });
          if (connect.failed > 0) progress(`[${label}] ${connect.failed} connections failed: ${JSON.stringify(connect.errors_by_kind)}`);
          await primeChats(pool, sends, label);
          const phase = await runLoad(
            pool,
            target,
            sends,
            1,
            { rate: options.rate, warmupS: options.warmup, durationS: options.duration, contentBytes: options['content-bytes'], seed: 7 + r },
            label,
            monitor,
          );
          phases.push({ ...phase, connect, round: r + 1 });
          progress(`[${label}] deliver p99 ${formatMs(phase.deliver_ms.p99_ms)} ms, ack p99 ${formatMs(phase.ack_ms.p99_ms)} ms, ${formatCount(phase.achieved_msgs_per_s)} msg/s, errors ${phase.sends.errors}`);
          await closeAll(pool);
        } finally {
          monitor.stop();
          await target.stop();
          if (kind === 'project' && r === 0) profile = target.profile() ?? profile;
        }
      }
    }
  } finally {
    await pool.close();
  }

  const byTarget: DirectReport['by_target'] = {};
  for (const kind of kinds) {
    const mine = phases.filter((p) => p.target === kind).sort((a, b) => a.deliver_ms.p99_ms - b.deliver_ms.p99_ms);
    if (mine.length) byTarget[kind] = mine[Math.floor((mine.length - 1) / 2)];
  }
  const p = byTarget.project;
  const report: DirectReport = {
    scenario: 'direct',
    started_at: startedAt,
    took_s: round((performance.now() - started) / 1_000, 1),
    machine,
    settings: {
      rate: options.rate,
      clients: options.clients,
      duration_s: options.duration,
      warmup_s: options.warmup,
      workers: options.workers,
      content_bytes: options['content-bytes'],
      targets: kinds,
      rounds: options.rounds,
      latency: 'open loop from the intended send time; ack: to the ack frame at the sender; deliver: to the message frame at the receiver (same worker process, same clock)',
      client: 'bench/lib/chatConnection.ts: protocol v1 over ws for the project and the ws relay (the same code), socket.io-client for the Socket.IO relay; no delivered acks sent',
    },
    phases,
    by_target: byTarget,
    ratios: {
      deliver_p99_project_over_ws: ratio(p?.deliver_ms.p99_ms, byTarget.ws?.deliver_ms.p99_ms),
      deliver_p99_project_over_socketio: ratio(p?.deliver_ms.p99_ms, byTarget.socketio?.deliver_ms.p99_ms),
      ack_p99_project_over_ws: ratio(p?.ack_ms.p99_ms, byTarget.ws?.ack_ms.p99_ms),
      ack_p99_project_over_socketio: ratio(p?.ack_ms.p99_ms, byTarget.socketio?.ack_ms.p99_ms),
    },
    target: {
      ...TARGET,
      applies: options.rate >= TARGET.rate && options.clients >= 1_000,
      met_absolute: p ? p.deliver_ms.p99_ms <= TARGET.p99_ms && p.sends.errors === 0 && p.achieved_msgs_per_s >= 0.99 * options.rate : null,
      met_ratio: p && byTarget.ws ? p.deliver_ms.p99_ms <= TARGET.max_ratio_to_ws * byTarget.ws.deliver_ms.p99_ms : null,
    },
    ...(profile && { profile }),
  };
  writeFileSync(join(outDir, 'direct.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = directMarkdown(report);
  writeFileSync(join(outDir, 'direct.md'), markdown);
  writeFileSync(
    join(outDir, 'direct.svg'),
    deliverSvg(`send→deliver latency by percentile at ${formatCount(options.rate)} msg/s`, `${formatCount(options.clients)} clients in pairs, ${options.duration} s open loop; ${machine.cores} × ${machine.cpu_model}`, phases),
  );
  process.stdout.write(`${markdown}\n`);
  progress(`direct: wrote ${join(outDir, 'direct.{json,md,svg}')}`);
  return report;
};

const yesNo = (b: boolean | null) => (b === null ? 'n/a' : b ? '**met**' : '**missed**');

export const directMarkdown = (r: DirectReport): string =>
  [
    `## direct: ${formatCount(r.settings.clients as number)} clients in pairs at ${formatCount(r.settings.rate as number)} msg/s`,
    '',
    `${r.settings.duration_s} s measured after ${r.settings.warmup_s} s warm-up, open loop from ${r.settings.workers} worker processes, ${r.settings.content_bytes}-byte texts. ` +
      'Latency in ms from the intended send time: ack at the sender, deliver at the receiver. Targets run one after the other, each in a fresh child process.',
    '',
    phaseTable(r.phases),
    '',
    `Ratios (project / baseline, deliver p99): vs bare ws **${r.ratios.deliver_p99_project_over_ws ?? 'n/a'}**, vs Socket.IO **${r.ratios.deliver_p99_project_over_socketio ?? 'n/a'}**; ` +
      `ack p99: vs ws ${r.ratios.ack_p99_project_over_ws ?? 'n/a'}, vs Socket.IO ${r.ratios.ack_p99_project_over_socketio ?? 'n/a'}.`,
    '',
    `Target p99 deliver ≤ ${r.target.p99_ms} ms at ${formatCount(r.target.rate)} msg/s: ${r.target.applies ? yesNo(r.target.met_absolute) : 'not applicable at these settings'}; ` +
      `≤ ${r.target.max_ratio_to_ws}× the bare ws relay's p99: ${yesNo(r.target.met_ratio)}.`,
    '',
    machineLine(r.machine),
    '',
  ].join('\n');
