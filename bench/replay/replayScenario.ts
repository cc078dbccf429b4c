/**
 * Scenario `replay`: write a log of `--events` events quickly (the history generator's
 * fast path straight into the event store, no projections running), then rebuild the
 * read models from position 0 in a fresh process on a fresh read-model database: all
 * projections together, then each one alone. Events per second per pass, with the
 * child's CPU and peak RSS from /proc and the other processes' load.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createSqliteEventStore } from '../../event-store/sqlite/sqliteEventStore.ts';
import { allProjections } from '../../projections/allProjections.ts';
import { scratchDir } from '../../testing/tempEventStore.ts';
import { describeOptions, parseOptions, UsageError, type OptionSpecs } from '../lib/args.ts';
import { createLoadMonitor, type WindowUsage } from '../lib/loadMonitor.ts';
import { machineInfo } from '../lib/machine.ts';
import { formatCount, formatMiB, markdownTable, progress } from '../lib/report.ts';
import { machineLine } from '../direct/chatReport.ts';
import { generateHistory, planHistory } from '../history/generateHistory.ts';
import type { ReportHeader } from '../lib/reportHeader.ts';

export const replayOptions = {
  events: { kind: 'number', default: 1_001_000, integer: true, min: 100, description: 'events in the log (chats of --per-chat messages, plus one ChatCreated each)' },
  'per-chat': { kind: 'number', default: 1_000, integer: true, description: 'messages per chat' },
  passes: { kind: 'string', default: `all,${allProjections.map((p) => p.name).join(',')}`, description: 'comma list of passes: all (every projection together) and/or projection names' },
  out: { kind: 'string', default: '.bench-out', description: 'directory for the result files' },
} as const satisfies OptionSpecs;

export const replayUsage = `replay: rebuild every projection from position 0 over a generated log; events/s per projection and overall
${describeOptions(replayOptions)}`;

/** The issue's target: ≥ 100,000 events/s rebuilding from 0, over ≥ 1 M events. */
const TARGET = { events_per_s: 100_000, events: 1_000_000 };
const CHILD = fileURLToPath(new URL('./replayChild.ts', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export type ReplayPass = {
  projection: string;
  events: number;
  seconds: number;
  events_per_s: number;
  read_models_db_bytes: number;
  process: { cpu_cores: number; peak_rss_bytes: number };
  machine: WindowUsage['machine'];
};

export type ReplayReport = ReportHeader<'replay'> & {
  generation: { events: number; seconds: number; events_per_s: number; events_db_bytes: number };
  passes: ReplayPass[];
  target: { events_per_s: number; events: number; applies: boolean; met: boolean | null };
};

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const fileSize = (path: string) => ['', '-wal'].reduce((s, suffix) => {
  try {
    return s + statSync(path + suffix).size;
  } catch {
    return s;
  }
}, 0);

const runPass = (eventsPath: string, dir: string, which: string): Promise<ReplayPass> =>
  new Promise((resolvePass, reject) => {
    const readModelsPath = join(dir, `read-models-${which}.db`);
    const child = spawn(process.execPath, ['--import', tsxLoader, CHILD, eventsPath, readModelsPath, which], { stdio: ['ignore', 'pipe', 'inherit'] });
    const monitor = createLoadMonitor(child.pid!, []);
    const window = monitor.window();
    let usage: WindowUsage | undefined;
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      // The answer is in: measure before the process exits (its /proc entry goes with it).
      if (out.includes('\n') && !usage) usage = window.stop();
    });
    child.once('exit', (code) => {
      monitor.stop();
      if (code !== 0) return reject(new Error(`replay pass ${which} exited with ${code}`));
      const r = JSON.parse(out.trim()) as { events: number; seconds: number };
      const u = usage ?? window.stop();
      resolvePass({
        projection: which,
        events: r.events,
        seconds: round(r.seconds, 2),
        events_per_s: Math.round(r.events / r.seconds),
        read_models_db_bytes: fileSize(readModelsPath),
        process: { cpu_cores: u.server.cpuCores, peak_rss_bytes: u.server.peakRssBytes },
        machine: u.machine,
      });
      rmSync(readModelsPath, { force: true });
      rmSync(`${readModelsPath}-wal`, { force: true });
      rmSync(`${readModelsPath}-shm`, { force: true });
      rmSync(`${readModelsPath}.bulk-load`, { force: true });
    });
  });

export const runReplayScenario = async (argv: readonly string[]): Promise<ReplayReport> => {
  const options = parseOptions(argv, replayOptions);
  const passes = options.passes.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of passes) if (p !== 'all' && !allProjections.some((x) => x.name === p)) throw new UsageError(`unknown pass ${JSON.stringify(p)}`);
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const started = performance.now();
  const dir = scratchDir('bench-replay');
  const onInterrupt = () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const eventsPath = join(dir, 'events.db');
    const perChat = Math.max(1, options['per-chat']);
    const messages = Math.round((options.events * perChat) / (perChat + 1));
    const plan = planHistory(messages, perChat, 20_250_202);
    progress(`replay: generating ${formatCount(plan.chats * (perChat + 1))} events (${formatCount(plan.chats)} chats × ${formatCount(perChat)} messages) into ${eventsPath}`);
    const store = createSqliteEventStore({ path: eventsPath });
    const genStart = performance.now();
    let lastLine = genStart;
    const generated = await generateHistory(store, plan, {
      onProgress: (p) => {
        if (performance.now() - lastLine < 1_000) return;
        lastLine = performance.now();
        progress(`[generate] ${formatCount(p.appendedEvents)}/${formatCount(p.totalEvents)} events (${formatCount(p.appendedEvents / ((lastLine - genStart) / 1_000))}/s)`);
      },
    });
    const genSeconds = (performance.now() - genStart) / 1_000;
    await store.close();
    progress(`[generate] ${formatCount(generated.events)} events in ${genSeconds.toFixed(1)} s (${formatCount(generated.events / genSeconds)}/s)`);

    const results: ReplayPass[] = [];
    for (const which of passes) {
      progress(`[replay ${which}] fresh process, fresh read-model database, from position 0`);
      const pass = await runPass(eventsPath, dir, which);
      results.push(pass);
      progress(`[replay ${which}] ${formatCount(pass.events)} events in ${pass.seconds} s: ${formatCount(pass.events_per_s)} events/s; other processes ${pass.machine.other_busy_cores} cores`);
    }
    const all = results.find((r) => r.projection === 'all');
    const report: ReplayReport = {
      scenario: 'replay',
      started_at: startedAt,
      took_s: round((performance.now() - started) / 1_000, 1),
      machine,
      settings: {
        events: options.events,
        per_chat: perChat,
        passes,
        log: 'bench/history/generateHistory.ts: ChatCreated + MessageSent, half direct chats, half groups of 3–5, chats interleaved in rounds; written straight into the SQLite event store with no projections running',
        method: 'per pass: a fresh process (bench/replay/replayChild.ts) opens events.db and startReadModels on a new read-model database with the pass’s projections; timed from start until the projector has reached the head and the read models are ready (secondary indexes built)',
      },
      generation: { events: generated.events, seconds: round(genSeconds, 1), events_per_s: Math.round(generated.events / genSeconds), events_db_bytes: fileSize(eventsPath) },
      passes: results,
      target: { ...TARGET, applies: generated.events >= TARGET.events, met: all ? all.events_per_s >= TARGET.events_per_s : null },
    };
    writeFileSync(join(outDir, 'replay.json'), `${JSON.stringify(report, null, 2)}\n`);
    const markdown = replayMarkdown(report);
    writeFileSync(join(outDir, 'replay.md'), markdown);
    writeFileSync(join(outDir, 'replay.svg'), replaySvg(report));
    process.stdout.write(`${markdown}\n`);
    progress(`replay: wrote ${join(outDir, 'replay.{json,md,svg}')}`);
    return report;
  } finally {
    process.off('SIGINT', onInterrupt);
    rmSync(dir, { recursive: true, force: true });
  }
};

export const replayMarkdown = (r: ReplayReport): string =>
  [
    `## replay: rebuilding the read models from position 0 over ${formatCount(r.generation.events)} events`,
    '',
    `Log generated in ${r.generation.seconds} s (${formatCount(r.generation.events_per_s)} events/s, events.db ${formatMiB(r.generation.events_db_bytes)}).`,
    '',
    markdownTable(
      ['pass', 'events', 'seconds', 'events/s', 'read-model DB', 'process CPU cores', 'process peak RSS', 'other processes cores'],
      r.passes.map((p) => [
        p.projection === 'all' ? 'all projections together' : p.projection,
        formatCount(p.events),
        p.seconds,
        formatCount(p.events_per_s),
        formatMiB(p.read_models_db_bytes),
        p.process.cpu_cores.toFixed(2),
        formatMiB(p.process.peak_rss_bytes),
        p.machine.other_busy_cores?.toFixed(2) ?? 'n/a',
      ]),
    ),
    '',
    `Target ≥ ${formatCount(r.target.events_per_s)} events/s (all projections, ≥ ${formatCount(r.target.events)} events): ${r.target.applies ? (r.target.met ? '**met**' : '**missed**') : 'not applicable at these settings'}.`,
    '',
    machineLine(r.machine),
    '',
  ].join('\n');

/** Events/s per pass as bars, with the target line. */
export const replaySvg = (r: ReplayReport): string => {
  const W = 720;
  const H = 380;
  const left = 90;
  const bottom = 310;
  const max = Math.max(r.target.events_per_s, ...r.passes.map((p) => p.events_per_s)) * 1.15;
  const y = (v: number) => bottom - (v / max) * 250;
  const barW = Math.min(110, (W - left - 40) / Math.max(1, r.passes.length) - 20);
  return `${[
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="600">Projection rebuild from 0: events/s over ${formatCount(r.generation.events)} events</text>`,
    `<line x1="${left}" x2="${W - 20}" y1="${y(r.target.events_per_s)}" y2="${y(r.target.events_per_s)}" stroke="#d62728" stroke-dasharray="4 3"/>`,
    `<text x="${W - 20}" y="${y(r.target.events_per_s) - 4}" text-anchor="end" fill="#d62728">target ${formatCount(r.target.events_per_s)}/s</text>`,
    `<line x1="${left}" x2="${W - 20}" y1="${bottom}" y2="${bottom}" stroke="#999"/>`,
    ...r.passes.flatMap((p, i) => {
      const x = left + 20 + i * (barW + 20);
      return [
        `<rect x="${x}" y="${y(p.events_per_s)}" width="${barW}" height="${bottom - y(p.events_per_s)}" fill="#1f77b4"/>`,
        `<text x="${x + barW / 2}" y="${y(p.events_per_s) - 6}" text-anchor="middle">${formatCount(p.events_per_s)}</text>`,
        `<text x="${x + barW / 2}" y="${bottom + 18}" text-anchor="middle">${p.projection}</text>`,
      ];
    }),
    `<text transform="translate(24 ${bottom - 125}) rotate(-90)" text-anchor="middle">events per second</text>`,
    '</svg>',
  ].join('\n')}\n`;
};
