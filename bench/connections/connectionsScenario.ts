/**
 * Scenario `connections`: ramp to `--clients` idle authenticated WebSocket connections
 * (one user each, token checked at the upgrade), spread over worker processes (each
 * under its open-file limit) and several 127.0.0.x source addresses (past the
 * ephemeral-port range of one address); report the server's RSS per connection (RSS
 * after the ramp and a settle, minus RSS before, over the connections) and the ramp
 * rate; the same against a bare `ws` server (the ws relay baseline) for comparison.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeOptions, parseOptions, UsageError, type OptionSpecs } from '../lib/args.ts';
import { createLoadMonitor, type WindowUsage } from '../lib/loadMonitor.ts';
import { machineInfo } from '../lib/machine.ts';
import { readProcessSnapshot } from '../lib/processStats.ts';
import { formatCount, formatMiB, markdownTable, progress } from '../lib/report.ts';
import { parseTargets, startTarget, TARGET_LABELS, type TargetKind } from '../lib/targets.ts';
import { startWorkerPool } from '../lib/workerPool.ts';
import { CHAT_WORKER, closeAll, connectAll, type ChatPool, type ConnectSummary } from '../direct/chatPhase.ts';
import { machineLine } from '../direct/chatReport.ts';
import type { ReportHeader } from '../lib/reportHeader.ts';

export const connectionsOptions = {
  clients: { kind: 'number', default: 19_000, integer: true, min: 1, description: 'idle authenticated connections to open' },
  workers: { kind: 'number', default: 4, integer: true, description: 'client processes (each holds clients/workers sockets: keep it under their open-file limit)' },
  addresses: { kind: 'number', default: 4, integer: true, description: 'source addresses 127.0.0.2 … 127.0.0.(1+n), rotated per connection' },
  concurrency: { kind: 'number', default: 64, integer: true, description: 'connection attempts in flight per worker' },
  settle: { kind: 'number', default: 3, min: 0, description: 'seconds to wait after the ramp before reading the RSS' },
  targets: { kind: 'string', default: 'project,ws', description: 'comma list: project, ws (bare ws relay), socketio' },
  out: { kind: 'string', default: '.bench-out', description: 'directory for the result files' },
} as const satisfies OptionSpecs;

export const connectionsUsage = `connections: ramp to n idle authenticated WebSocket connections; server RSS per connection and ramp rate, vs. a bare ws server
${describeOptions(connectionsOptions)}`;

/** The target: ≥ 19,000 connections at ≤ 12 KiB of server RSS each. */
const TARGET = { connections: 19_000, max_kib_per_connection: 12 };
const WORKER = fileURLToPath(CHAT_WORKER);

export type ConnectionsPhase = {
  target: TargetKind;
  connect: ConnectSummary;
  rss_before_bytes: number;
  rss_after_bytes: number;
  peak_rss_bytes: number;
  rss_per_connection_bytes: number | null;
  rss_per_connection_kib: number | null;
  still_open_after_settle: number | null;
  server_cpu_cores_during_ramp: number;
  load_workers_cores: number;
  machine_during_ramp: WindowUsage['machine'];
};

export type ConnectionsReport = ReportHeader<'connections'> & {
  phases: ConnectionsPhase[];
  ratio_kib_per_connection_project_over_ws: number | null;
  target: { connections: number; max_kib_per_connection: number; applies: boolean; met: boolean | null };
};

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const runConnectionsScenario = async (argv: readonly string[]): Promise<ConnectionsReport> => {
  const options = parseOptions(argv, connectionsOptions);
  let kinds: TargetKind[];
  try {
    kinds = parseTargets(options.targets);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (options.addresses > 250) throw new UsageError('--addresses must be at most 250');
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const started = performance.now();
  const addresses = Array.from({ length: options.addresses }, (_, i) => `127.0.0.${i + 2}`);
  const perWorker = Math.ceil(options.clients / options.workers);
  progress(`connections: ${formatCount(options.clients)} idle connections from ${options.workers} workers (≤ ${formatCount(perWorker)} each), sources ${addresses.join(', ')}; targets ${kinds.join(', ')}`);
  const pool: ChatPool = await startWorkerPool(WORKER, options.workers);
  const phases: ConnectionsPhase[] = [];
  try {
    for (const kind of kinds) {
      const target = await startTarget(kind, { CHAT_WS_PING_MS: '600000' });
      const monitor = createLoadMonitor(target.pid, pool.pids);
      try {
        progress(`[${kind}] ${TARGET_LABELS[kind]} on ${target.url} (pid ${target.pid})`);
        await sleep(1_000);
        const before = readProcessSnapshot(target.pid);
        const users: string[][] = Array.from({ length: pool.size }, () => []);
        const sources: string[][] = Array.from({ length: pool.size }, () => []);
        for (let i = 0; i < options.clients; i++) users[i % pool.size]!.push(`conn-${i}`);
        addresses.forEach((a, i) => sources[i % pool.size]!.push(a));
        // Fewer addresses than workers: every worker uses them all.
        for (const s of sources) if (s.length === 0) s.push(...addresses);
        const window = monitor.window();
        const connect = await connectAll(pool, target, users, { label: kind, concurrency: options.concurrency, localAddresses: sources, monitor });
        const usage = window.stop();
        progress(`[${kind}] ${formatCount(connect.connected)} connected in ${connect.ramp_s} s (${formatCount(connect.connections_per_s)}/s), failed ${connect.failed} ${JSON.stringify(connect.errors_by_kind)}; settling ${options.settle} s`);
        await sleep(options.settle * 1_000);
        const after = readProcessSnapshot(target.pid);
        const perConnection = connect.connected > 0 ? (after.rssBytes - before.rssBytes) / connect.connected : null;
        phases.push({
          target: kind,
          connect,
          rss_before_bytes: before.rssBytes,
          rss_after_bytes: after.rssBytes,
          peak_rss_bytes: after.peakRssBytes,
          rss_per_connection_bytes: perConnection === null ? null : Math.round(perConnection),
          rss_per_connection_kib: perConnection === null ? null : round(perConnection / 1_024),
          still_open_after_settle: null,
          server_cpu_cores_during_ramp: usage.server.cpuCores,
          load_workers_cores: usage.load_workers_cores,
          machine_during_ramp: usage.machine,
        });
        progress(`[${kind}] RSS ${formatMiB(before.rssBytes)} → ${formatMiB(after.rssBytes)}: ${perConnection === null ? 'n/a' : round(perConnection / 1_024)} KiB per connection`);
        const closed = await pool.run(Array.from({ length: pool.size }, () => ({ type: 'close' as const })));
        phases.at(-1)!.still_open_after_settle = closed.reduce((s, r) => s + (r.type === 'close' ? r.closed : 0), 0);
      } finally {
        monitor.stop();
        await target.stop();
      }
    }
  } finally {
    await closeAll(pool).catch(() => {});
    await pool.close();
  }

  const project = phases.find((p) => p.target === 'project');
  const ws = phases.find((p) => p.target === 'ws');
  const report: ConnectionsReport = {
    scenario: 'connections',
    started_at: startedAt,
    took_s: round((performance.now() - started) / 1_000, 1),
    machine,
    settings: {
      clients: options.clients,
      workers: options.workers,
      source_addresses: addresses,
      concurrency_per_worker: options.concurrency,
      settle_s: options.settle,
      targets: kinds,
      method: 'one user per connection, JWT (project) or user id (baselines) in ?token= at the upgrade; RSS from /proc/<pid>/status VmRSS; per connection = (after settle − before) / connected',
    },
    phases,
    ratio_kib_per_connection_project_over_ws:
      project?.rss_per_connection_kib && ws?.rss_per_connection_kib ? round(project.rss_per_connection_kib / ws.rss_per_connection_kib) : null,
    target: {
      ...TARGET,
      applies: options.clients >= TARGET.connections,
      met: project ? project.connect.connected >= TARGET.connections && (project.rss_per_connection_kib ?? Infinity) <= TARGET.max_kib_per_connection : null,
    },
  };
  writeFileSync(join(outDir, 'connections.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = connectionsMarkdown(report);
  writeFileSync(join(outDir, 'connections.md'), markdown);
  writeFileSync(join(outDir, 'connections.svg'), connectionsSvg(report));
  process.stdout.write(`${markdown}\n`);
  progress(`connections: wrote ${join(outDir, 'connections.{json,md,svg}')}`);
  return report;
};

export const connectionsMarkdown = (r: ConnectionsReport): string =>
  [
    `## connections: ${formatCount(r.settings.clients as number)} idle authenticated WebSocket connections`,
    '',
    markdownTable(
      ['target', 'connected', 'failed', 'ramp s', 'connections/s', 'RSS before', 'RSS after', 'KiB per connection', 'server CPU cores (ramp)', 'workers cores', 'other processes cores'],
      r.phases.map((p) => [
        p.target,
        formatCount(p.connect.connected),
        p.connect.failed ? `${p.connect.failed} ${JSON.stringify(p.connect.errors_by_kind)}` : '0',
        p.connect.ramp_s,
        formatCount(p.connect.connections_per_s),
        formatMiB(p.rss_before_bytes),
        formatMiB(p.rss_after_bytes),
        p.rss_per_connection_kib ?? 'n/a',
        p.server_cpu_cores_during_ramp.toFixed(2),
        p.load_workers_cores.toFixed(2),
        p.machine_during_ramp.other_busy_cores?.toFixed(2) ?? 'n/a',
      ]),
    ),
    '',
    `KiB per connection, project / bare ws: **${r.ratio_kib_per_connection_project_over_ws ?? 'n/a'}**. ` +
      `Target ≥ ${formatCount(r.target.connections)} connections at ≤ ${r.target.max_kib_per_connection} KiB each: ${r.target.applies ? (r.target.met ? '**met**' : '**missed**') : 'not applicable at these settings'}.`,
    '',
    machineLine(r.machine),
    '',
  ].join('\n');

/** A bar chart of KiB per connection by target (this scenario has no latency curve). */
export const connectionsSvg = (r: ConnectionsReport): string => {
  const bars = r.phases.map((p) => ({ label: p.target, value: p.rss_per_connection_kib ?? 0 }));
  const max = Math.max(r.target.max_kib_per_connection, ...bars.map((b) => b.value)) * 1.15;
  const W = 640;
  const H = 360;
  const left = 80;
  const bottom = 300;
  const barW = 120;
  const y = (v: number) => bottom - (v / max) * 240;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="600">Server RSS per idle connection (${formatCount(r.settings.clients as number)} connections)</text>`,
    `<line x1="${left}" x2="${W - 20}" y1="${y(r.target.max_kib_per_connection)}" y2="${y(r.target.max_kib_per_connection)}" stroke="#d62728" stroke-dasharray="4 3"/>`,
    `<text x="${W - 20}" y="${y(r.target.max_kib_per_connection) - 4}" text-anchor="end" fill="#d62728">target ${r.target.max_kib_per_connection} KiB</text>`,
    `<line x1="${left}" x2="${W - 20}" y1="${bottom}" y2="${bottom}" stroke="#999"/>`,
    ...bars.flatMap((b, i) => {
      const x = left + 40 + i * (barW + 60);
      return [
        `<rect x="${x}" y="${y(b.value)}" width="${barW}" height="${bottom - y(b.value)}" fill="${['#1f77b4', '#2ca02c', '#ff7f0e'][i % 3]}"/>`,
        `<text x="${x + barW / 2}" y="${y(b.value) - 6}" text-anchor="middle">${b.value} KiB</text>`,
        `<text x="${x + barW / 2}" y="${bottom + 18}" text-anchor="middle">${b.label}</text>`,
      ];
    }),
    `<text transform="translate(24 ${bottom - 120}) rotate(-90)" text-anchor="middle">KiB per connection</text>`,
    '</svg>',
  ];
  return `${parts.join('\n')}\n`;
};
