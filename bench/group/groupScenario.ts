/**
 * Scenario `group`: one group of `--members` members (500, the protocol's maximum), all
 * online (one connection each, spread over the workers), random members sending to it
 * at `--rate` messages per second; every other member receives each message, so
 * deliveries run at rate × (members − 1). Latency per delivery from the intended send
 * time. Against the project, and the relay baselines with `--targets`/`--vs`.
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
import { CHAT_WORKER, closeAll, connectAll, createGroup, runLoad, type ChatPool, type ConnectSummary, type LoadPhaseResult } from '../direct/chatPhase.ts';
import { deliverSvg, machineLine, phaseTable } from '../direct/chatReport.ts';
import { startProfiledTarget, type ProfileSummary } from '../direct/chatTargets.ts';
import type { SendSpec } from '../direct/chatWorker.ts';
import type { ReportHeader } from '../lib/reportHeader.ts';

export const groupOptions = {
  ...commonOptions,
  rate: { kind: 'number', default: 50, description: 'messages per second to the group (each delivered to members − 1 sessions)' },
  members: { kind: 'number', default: 500, integer: true, min: 2, description: 'group members, all online (at most 500)' },
  'content-bytes': { kind: 'number', default: 100, integer: true, min: 24, description: 'bytes of text per message' },
  targets: { kind: 'string', default: 'project', description: 'comma list: project, ws (bare ws relay), socketio (Socket.IO relay)' },
  vs: { kind: 'flag', default: false, description: 'same as --targets project,ws,socketio' },
} as const satisfies OptionSpecs;

export const groupUsage = `group: one group, every member online, fixed message rate; latency of every delivery
${describeOptions(groupOptions)}`;

/** The target: p99 ≤ 100 ms per delivery, 500 members, 50 msg/s (25,000 deliveries/s). */
const TARGET = { p99_ms: 100, rate: 50, members: 500 };
const WORKER = fileURLToPath(CHAT_WORKER);

export type GroupReport = ReportHeader<'group'> & {
  phases: (LoadPhaseResult & { connect: ConnectSummary })[];
  ratios: { deliver_p99_project_over_ws: number | null; deliver_p99_project_over_socketio: number | null };
  target: { p99_ms: number; rate: number; members: number; applies: boolean; met: boolean | null };
  profile?: ProfileSummary;
};

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

export const runGroupScenario = async (argv: readonly string[]): Promise<GroupReport> => {
  const options = parseOptions(argv, groupOptions);
  const kinds = targetsOf(options);
  if (options.members > 500) throw new UsageError('--members must be at most 500 (protocol section 3)');
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const started = performance.now();
  progress(
    `group: ${options.members} members online, ${formatCount(options.rate)} msg/s (${formatCount(options.rate * (options.members - 1))} deliveries/s) for ${options.duration} s after ${options.warmup} s warm-up, ${options.workers} load workers; targets ${kinds.join(', ')}`,
  );
  const pool: ChatPool = await startWorkerPool(WORKER, options.workers);
  const phases: GroupReport['phases'] = [];
  let profile: ProfileSummary | undefined;
  try {
    for (const kind of kinds) {
      const target = await startProfiledTarget(kind, options.profile ? join(outDir, 'group-profile') : undefined);
      const monitor = createLoadMonitor(target.pid, pool.pids);
      try {
        progress(`[${kind}] ${TARGET_LABELS[kind]} on ${target.url} (pid ${target.pid})`);
        const members = Array.from({ length: options.members }, (_, i) => `gm-${i}`);
        const chatId = await createGroup(target, members[0]!, members.slice(1));
        const users: string[][] = Array.from({ length: pool.size }, () => []);
        const sends: SendSpec[][] = Array.from({ length: pool.size }, () => []);
        members.forEach((m, i) => {
          const w = i % pool.size;
          const local = users[w]!.push(m) - 1;
          sends[w]!.push({ from: local, chatId });
        });
        const connect = await connectAll(pool, target, users, { label: kind, monitor });
        if (connect.failed > 0) progress(`[${kind}] ${connect.failed} connections failed: ${JSON.stringify(connect.errors_by_kind)}`);
        const phase = await runLoad(
          pool,
          target,
          sends,
          options.members - 1,
          { rate: options.rate, warmupS: options.warmup, durationS: options.duration, contentBytes: options['content-bytes'], seed: 11 },
          kind,
          monitor,
        );
        phases.push({ ...phase, connect });
        progress(`[${kind}] deliver p99 ${formatMs(phase.deliver_ms.p99_ms)} ms over ${formatCount(phase.deliveries.received)} deliveries (${formatCount(phase.deliveries.per_s)}/s), missing ${phase.deliveries.missing}`);
        await closeAll(pool);
      } finally {
        monitor.stop();
        await target.stop();
        if (kind === 'project') profile = target.profile() ?? profile;
      }
    }
  } finally {
    await pool.close();
  }
  const by = (k: TargetKind) => phases.find((p) => p.target === k);
  const ratio = (a?: LoadPhaseResult, b?: LoadPhaseResult) => (a && b && b.deliver_ms.p99_ms > 0 ? round(a.deliver_ms.p99_ms / b.deliver_ms.p99_ms, 2) : null);
  const project = by('project');
  const report: GroupReport = {
    scenario: 'group',
    started_at: startedAt,
    took_s: round((performance.now() - started) / 1_000, 1),
    machine,
    settings: {
      rate: options.rate,
      members: options.members,
      deliveries_per_s_target: options.rate * (options.members - 1),
      duration_s: options.duration,
      warmup_s: options.warmup,
      workers: options.workers,
      content_bytes: options['content-bytes'],
      targets: kinds,
      latency: 'open loop from the intended send time to each member’s message frame (members spread over the workers; one machine clock)',
    },
    phases,
    ratios: { deliver_p99_project_over_ws: ratio(project, by('ws')), deliver_p99_project_over_socketio: ratio(project, by('socketio')) },
    target: {
      ...TARGET,
      applies: options.rate >= TARGET.rate && options.members >= TARGET.members,
      met: project ? project.deliver_ms.p99_ms <= TARGET.p99_ms && project.sends.errors === 0 && project.deliveries.missing <= project.deliveries.expected * 0.001 : null,
    },
    ...(profile && { profile }),
  };
  writeFileSync(join(outDir, 'group.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = groupMarkdown(report);
  writeFileSync(join(outDir, 'group.md'), markdown);
  writeFileSync(
    join(outDir, 'group.svg'),
    deliverSvg(`group delivery latency by percentile, ${options.members} members, ${formatCount(options.rate)} msg/s`, `${formatCount(options.rate * (options.members - 1))} deliveries/s target; ${machine.cores} × ${machine.cpu_model}`, phases),
  );
  process.stdout.write(`${markdown}\n`);
  progress(`group: wrote ${join(outDir, 'group.{json,md,svg}')}`);
  return report;
};

export const groupMarkdown = (r: GroupReport): string =>
  [
    `## group: ${r.settings.members} members online, ${formatCount(r.settings.rate as number)} msg/s → ${formatCount(r.settings.deliveries_per_s_target as number)} deliveries/s`,
    '',
    `${r.settings.duration_s} s measured after ${r.settings.warmup_s} s warm-up, open loop from ${r.settings.workers} worker processes. Latency in ms from the intended send time to each delivery.`,
    '',
    phaseTable(r.phases),
    '',
    `Ratios (project / baseline, deliver p99): vs bare ws ${r.ratios.deliver_p99_project_over_ws ?? 'n/a'}, vs Socket.IO ${r.ratios.deliver_p99_project_over_socketio ?? 'n/a'}.`,
    '',
    `Target p99 ≤ ${r.target.p99_ms} ms per delivery (${r.target.members} members, ${r.target.rate} msg/s): ${r.target.applies ? (r.target.met ? '**met**' : '**missed**') : 'not applicable at these settings'}.`,
    '',
    machineLine(r.machine),
    '',
  ].join('\n');
