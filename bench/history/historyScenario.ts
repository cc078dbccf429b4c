/**
 * Scenario `history`: REST history latency and throughput at a fixed request rate, on a
 * store of `--messages` messages and on one 10× smaller, to show that a page of history
 * costs the same however big the store is.
 *
 * Per store size: a fresh server (startServer, scratch data dir, port 0) in this
 * process; the log written straight into its event store; projections awaited; then
 * open-loop GET /v1/messages from worker processes, latency from the intended send time.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../server/config.ts';
import { startServer, type RunningServer } from '../../server/startServer.ts';
import { scratchDir } from '../../testing/tempEventStore.ts';
import { commonOptions, describeOptions, parseOptions, UsageError, type OptionSpecs, type ParsedOptions } from '../lib/args.ts';
import { decodeHistogram, mergeHistograms, percentileCurve, summarize } from '../lib/histogram.ts';
import { startCpuProfile, summarizeCpuProfile } from '../lib/cpuProfile.ts';
import { machineInfo } from '../lib/machine.ts';
import { nowEpochMs } from '../lib/openLoop.ts';
import { measureMachine, measureProcess, readProcessSnapshot } from '../lib/processStats.ts';
import { formatCount, formatMiB, progress } from '../lib/report.ts';
import { startWorkerPool, type WorkerPool } from '../lib/workerPool.ts';
import { startStaticHttp } from '../baselines/staticHttp.ts';
import { generateHistory, planHistory, type GeneratedChat } from './generateHistory.ts';
import { historyMarkdown, historySvg, type FloorResult, type HistoryReport, type PhaseResult } from './historyReport.ts';
import type { HistoryJob, HistoryTarget, HistoryWorkerProgress, HistoryWorkerResult } from './historyWorker.ts';

export const historyOptions = {
  messages: { kind: 'number', default: 1_000_000, integer: true, min: 10, description: 'messages in the large store (the small one has 10× fewer)' },
  ...commonOptions,
  prime: { kind: 'number', default: 3, min: 0, description: 'seconds of closed-loop requests before the open loop (JIT, caches, connections; not recorded)' },
  limit: { kind: 'number', default: 50, integer: true, description: 'page size of each history query (1..200)' },
  'no-floor': { kind: 'flag', default: false, description: 'skip the floor: a bare node:http server answering the same page from memory under the same load' },
} as const satisfies OptionSpecs;

export const historyUsage = `history: GET /v1/messages p50..max and throughput at a fixed rate, large store vs. 10× smaller
${describeOptions(historyOptions)}`;

/** The issue's target: p99 ≤ 10 ms at 2,000 requests/s with 1 M messages stored. */
const TARGET = { p99_ms: 10, rate: 2_000, messages: 1_000_000 };
/** Chats have this many messages (fewer when the small store could not hold 10 chats), in both stores: same pages, 10× the chats. */
const MAX_MESSAGES_PER_CHAT = 1_000;
const WORKER_MODULE = fileURLToPath(new URL('./historyWorker.ts', import.meta.url));
const SEED = 20_250_101;

type Options = ParsedOptions<typeof historyOptions>;
type Pool = WorkerPool<HistoryJob, HistoryWorkerProgress, HistoryWorkerResult>;

const fileSize = (path: string) => {
  let bytes = 0;
  for (const suffix of ['', '-wal']) {
    try {
      bytes += statSync(path + suffix).size;
    } catch {
      /* no such file */
    }
  }
  return bytes;
};

/** Writes the log, then waits for the projections, printing progress once a second. */
const fillStore = async (server: RunningServer, label: string, messages: number, messagesPerChat: number) => {
  const plan = planHistory(messages, messagesPerChat, SEED);
  const started = performance.now();
  let appended = 0;
  let total = plan.chats * (plan.messagesPerChat + 1);
  let lastLine = { at: started, appended: 0, projected: 0 };
  const line = (phase: string) => {
    const now = performance.now();
    const projected = Math.max(0, Number(server.readModels.projector.position()));
    const dt = (now - lastLine.at) / 1_000 || 1;
    progress(
      `[${label}] ${phase} ${((now - started) / 1_000).toFixed(0)} s: appended ${formatCount(appended)}/${formatCount(total)} events (${formatCount((appended - lastLine.appended) / dt)}/s), ` +
        `projected ${formatCount(projected)} (${formatCount((projected - lastLine.projected) / dt)}/s)`,
    );
    lastLine = { at: now, appended, projected };
  };
  // Appends and projection share this event loop, so the timer may fire late: also report from the append callback.
  const timer = setInterval(() => performance.now() - lastLine.at >= 900 && line('generating'), 1_000);
  let generated: { chats: GeneratedChat[]; events: number };
  let appendSeconds: number;
  try {
    generated = await generateHistory(server.store, plan, {
      onProgress: (p) => {
        appended = p.appendedEvents;
        total = p.totalEvents;
        if (performance.now() - lastLine.at >= 1_000) line('generating');
      },
    });
    appendSeconds = (performance.now() - started) / 1_000;
    await server.readModels.projector.waitFor(await server.store.headPosition(), 30 * 60_000);
  } finally {
    clearInterval(timer);
  }
  const totalSeconds = (performance.now() - started) / 1_000;
  line('projected');
  return {
    plan,
    chats: generated.chats,
    generation: {
      events: generated.events,
      append_and_project_s: round(appendSeconds, 1),
      projection_tail_s: round(totalSeconds - appendSeconds, 1),
      total_s: round(totalSeconds, 1),
      events_per_s: Math.round(generated.events / totalSeconds),
    },
  };
};

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The server is settled when it used less than this share of a core over a second. */
const SETTLED_CORES = 0.1;
const SETTLE_LIMIT_S = 120;

/**
 * Waits until this process (the server) is idle: after the projections, the delivery
 * router may still be working through the generated log, and that tail of the
 * generation must not be measured as the cost of reads. Seconds waited.
 */
const settle = async (label: string): Promise<number> => {
  const started = performance.now();
  for (;;) {
    const before = readProcessSnapshot();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = readProcessSnapshot();
    const cores = (after.cpuUserSeconds + after.cpuSystemSeconds - before.cpuUserSeconds - before.cpuSystemSeconds) / ((after.atMs - before.atMs) / 1_000);
    const waited = (performance.now() - started) / 1_000;
    if (cores < SETTLED_CORES || waited >= SETTLE_LIMIT_S) {
      progress(`[${label}] settled after ${waited.toFixed(1)} s (server at ${(cores * 100).toFixed(0)}% CPU)`);
      return round(waited, 1);
    }
  }
};

/** What a load run against one server measured (the store sizes and the bare-HTTP floor alike). */
type Measured = Pick<PhaseResult, 'load' | 'server' | 'machine_during_load' | 'profile'>;
/** Where the workers send: the URL, one token per user, the chats; seeds differ per store so the two mixes differ. */
type LoadTarget = { url: string; tokens: string[]; chats: HistoryTarget[]; seedOffset: number };

/** Primes, then runs the open loop from the workers against `target`; the server is this process. */
const measureLoad = async (pool: Pool, options: Options, outDir: string, label: string, target: LoadTarget): Promise<Measured> => {
  // The workers prime (closed loop) until the schedule starts.
  const startAtEpochMs = nowEpochMs() + 500 + options.prime * 1_000;
  if (options.prime > 0) progress(`[${label}] priming ${options.prime} s: closed loop, ${8 * pool.size} requests in flight, not recorded`);
  const jobs: HistoryJob[] = Array.from({ length: pool.size }, (_, i) => ({
    url: target.url,
    tokens: target.tokens,
    chats: target.chats,
    limit: options.limit,
    rate: options.rate / pool.size,
    startAtEpochMs,
    warmupMs: options.warmup * 1_000,
    durationMs: options.duration * 1_000,
    phase: i / pool.size,
    seed: SEED + 7 * i + target.seedOffset,
    maxSockets: 64,
  }));

  // The server lives in this process: its CPU and memory are this process's (plus a little coordination).
  // Measured over the measured window: from the end of the warm-up until the last answer is in.
  let serverUsage: ReturnType<typeof measureProcess> | undefined;
  let machineUsage: ReturnType<typeof measureMachine> | undefined;
  let profiling: Promise<Awaited<ReturnType<typeof startCpuProfile>>> | undefined;
  const startMeasuring = setTimeout(
    () => {
      serverUsage = measureProcess(process.pid);
      machineUsage = measureMachine();
      if (options.profile) profiling = startCpuProfile();
    },
    Math.max(0, startAtEpochMs + options.warmup * 1_000 - nowEpochMs()),
  );
  const latest: (HistoryWorkerProgress | undefined)[] = Array.from({ length: pool.size });
  let lastCpu = readProcessSnapshot();
  const ticker = setInterval(() => {
    const ps = latest.filter((p): p is HistoryWorkerProgress => p !== undefined);
    if (ps.length === 0) return;
    const sum = (k: keyof HistoryWorkerProgress) => ps.reduce((s, p) => s + p[k], 0);
    const now = readProcessSnapshot();
    const cpu = (now.cpuUserSeconds + now.cpuSystemSeconds - lastCpu.cpuUserSeconds - lastCpu.cpuSystemSeconds) / ((now.atMs - lastCpu.atMs) / 1_000);
    lastCpu = now;
    const elapsed = Math.max(...ps.map((p) => p.elapsedMs)) / 1_000;
    const phase = elapsed < options.warmup ? 'warm-up' : elapsed <= options.warmup + options.duration ? 'load' : 'draining';
    progress(
      `[${label}] ${phase} ${elapsed.toFixed(0)}/${options.warmup + options.duration} s: sent ${formatCount(sum('scheduled'))}, answered ${formatCount(sum('completed'))}, ` +
        `errors ${formatCount(sum('errors'))}, in flight ${formatCount(sum('inFlight'))}; server ${(cpu * 100).toFixed(0)}% CPU, RSS ${formatMiB(now.rssBytes)}`,
    );
  }, 1_000);
  let results: HistoryWorkerResult[];
  try {
    results = await pool.run(jobs, (worker, p) => (latest[worker] = p));
  } finally {
    clearInterval(ticker);
    clearTimeout(startMeasuring);
  }
  const usage = (serverUsage ?? measureProcess(process.pid)).stop();
  const machineBusy = machineUsage?.stop();
  let profile: PhaseResult['profile'];
  if (profiling) {
    const file = join(outDir, `history-${label}.cpuprofile`);
    profile = { file, ...summarizeCpuProfile(await (await profiling).stop(file)) };
    progress(`[${label}] CPU profile of the measured window: ${file}`);
    for (const f of profile.by_file.slice(0, 12)) progress(`  ${String(f.percent).padStart(5)}%  ${f.name}`);
  }

  const histogram = mergeHistograms(results.map((r) => decodeHistogram(r.histogram)));
  const sum = (f: (r: HistoryWorkerResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const errorsByKind: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errorsByKind)) errorsByKind[k] = (errorsByKind[k] ?? 0) + v;
  const responses = sum((r) => r.responses);
  const measured = sum((r) => r.measured);

  return {
    load: {
      target_rps: options.rate,
      requests: sum((r) => r.measured),
      ok: sum((r) => r.ok),
      errors: sum((r) => r.errors),
      errors_by_kind: errorsByKind,
      // Each worker's window starts at the same instant; the slowest one bounds the run.
      achieved_rps: round(sum((r) => r.ok) / (Math.max(...results.map((r) => r.windowMs)) / 1_000), 1),
      latency_ms: summarize(histogram),
      percentile_curve: percentileCurve(histogram),
      mean_response_bytes: responses > 0 ? Math.round(sum((r) => r.responseBytes) / responses) : 0,
      by_cursor: {
        none: sum((r) => r.byCursor.none),
        before: sum((r) => r.byCursor.before),
        after: sum((r) => r.byCursor.after),
      },
      max_send_lag_ms: Math.max(...results.map((r) => r.maxSendLagMs)),
      load_generator_cpu_s: round(sum((r) => r.cpuSeconds)),
      load_generator_cpu_cores: round(sum((r) => r.cpuSeconds / r.wallSeconds), 2),
    },
    server: {
      note: 'the server runs in the benchmark parent process, which also coordinates the workers (progress lines, IPC): a small overhead',
      wall_s: round(usage.wallSeconds),
      cpu_s: usage.cpuSeconds,
      cpu_user_s: usage.cpuUserSeconds,
      cpu_system_s: usage.cpuSystemSeconds,
      cpu_cores_busy: usage.cpuCores,
      cpu_ms_per_request: measured > 0 ? round((usage.cpuSeconds * 1_000) / measured) : null,
      rss_start_bytes: usage.rssStartBytes,
      peak_rss_bytes: usage.peakRssBytes,
      peak_rss_source: usage.peakRssSource,
    },
    machine_during_load: {
      busy_cores: machineBusy?.busyCores ?? null,
      // What ran besides this server and its load workers (other processes on the machine).
      other_busy_cores: machineBusy ? round(Math.max(0, machineBusy.busyCores - usage.cpuCores - sum((r) => r.cpuSeconds / r.wallSeconds)), 2) : null,
      load_average: loadavg().map((l) => round(l, 2)),
    },
    ...(profile && { profile }),
  };
};

/** GET of one newest page, as the workers ask for it: the bytes the bare-HTTP floor answers with. */
const samplePage = async (url: string, tokens: string[], chat: HistoryTarget, limit: number) => {
  const response = await fetch(`${url}/v1/messages?chat_id=${encodeURIComponent(chat.chatId)}&limit=${limit}`, {
    headers: { authorization: `Bearer ${tokens[chat.members[0]!]}` },
  });
  if (response.status !== 200) throw new Error(`sample page: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
};

type Phase = { result: PhaseResult; target: LoadTarget; page: Buffer };

/**
 * The same requests as the large store's (same seeds, paths and tokens) against a bare
 * node:http server in this process that answers each with that store's newest page from
 * memory: the latency this machine and load generator give with no server work at all.
 */
const runFloor = async (pool: Pool, options: Options, outDir: string, large: Phase): Promise<FloorResult> => {
  const server = await startStaticHttp(large.page);
  try {
    progress(`[floor] bare node:http on ${server.url}, answering ${formatCount(large.page.length)} bytes from memory`);
    return { label: 'floor', page_bytes: large.page.length, ...(await measureLoad(pool, options, outDir, 'floor', { ...large.target, url: server.url })) };
  } finally {
    await server.close();
  }
};

const runPhase = async (pool: Pool, options: Options, outDir: string, label: string, messages: number, messagesPerChat: number): Promise<Phase> => {
  const dataDir = scratchDir('bench-history');
  const config = loadConfig({
    // Server settings through the environment (CHAT_READ_IN_WORKER=false for an A/B), as the other scenarios' servers take them.
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('CHAT_'))),
    PORT: '0',
    CHAT_DATA_DIR: dataDir,
    CHAT_LOG_LEVEL: 'silent',
    CHAT_RATE_MSG_PER_SEC: '1000000',
    CHAT_RATE_MSG_BURST: '1000000',
  });
  // Ctrl-C mid-run must not leave a gigabyte of scratch data in /dev/shm.
  const onInterrupt = () => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  const server = await startServer(config);
  try {
    progress(`[${label}] server on ${server.url}, data in ${dataDir}`);
    const filled = await fillStore(server, label, messages, messagesPerChat);
    const settleSeconds = await settle(label);

    // One token per user; workers address them by index.
    const users = [...new Set(filled.chats.flatMap((c) => c.members))];
    const index = new Map(users.map((u, i) => [u, i]));
    const ttlSeconds = 3_600 + Math.ceil(options.warmup + options.duration);
    const tokens = await Promise.all(users.map((u) => server.tokens.issue(u, [], ttlSeconds)));
    const chats: HistoryTarget[] = filled.chats.map((c) => ({ chatId: c.chatId, lastSeq: c.lastSeq, members: c.members.map((m) => index.get(m)!) }));

    const target: LoadTarget = { url: server.url, tokens, chats, seedOffset: label === 'large' ? 0 : 1_000 };
    const measured = await measureLoad(pool, options, outDir, label, target);
    const page = await samplePage(server.url, tokens, chats[0]!, options.limit);
    const result: PhaseResult = {
      label,
      messages: filled.plan.chats * filled.plan.messagesPerChat,
      chats: filled.plan.chats,
      messages_per_chat: filled.plan.messagesPerChat,
      users: users.length,
      generation: { ...filled.generation, settle_s: settleSeconds },
      store_bytes: { events_db: fileSize(join(dataDir, 'events.db')), read_models_db: fileSize(join(dataDir, 'read-models.db')) },
      ...measured,
    };
    return { result, target, page };
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

export const runHistoryScenario = async (argv: readonly string[]): Promise<HistoryReport> => {
  const options = parseOptions(argv, historyOptions);
  if (options.limit > 200) throw new UsageError('--limit must be at most 200 (protocol section 4)');
  const small = Math.max(1, Math.round(options.messages / 10));
  const messagesPerChat = Math.min(MAX_MESSAGES_PER_CHAT, Math.max(1, Math.floor(small / 10)));
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const started = performance.now();
  progress(
    `history: ${formatCount(options.messages)} vs ${formatCount(small)} messages (${formatCount(messagesPerChat)} per chat), ` +
      `${formatCount(options.rate)} req/s for ${options.duration} s after ${options.warmup} s warm-up, ${options.workers} load workers`,
  );

  // Fresh load workers for each phase: no phase inherits another's heap, connections or JIT state.
  const withPool = async <T>(work: (pool: Pool) => Promise<T>): Promise<T> => {
    const pool: Pool = await startWorkerPool(WORKER_MODULE, options.workers);
    try {
      return await work(pool);
    } finally {
      await pool.close();
    }
  };
  const phases: PhaseResult[] = [];
  let floor: HistoryReport['floor'] = null;
  const largeRun = await withPool((pool) => runPhase(pool, options, outDir, 'large', options.messages, messagesPerChat));
  phases.push(largeRun.result);
  phases.push((await withPool((pool) => runPhase(pool, options, outDir, 'small', small, messagesPerChat))).result);
  if (!options['no-floor']) floor = await withPool((pool) => runFloor(pool, options, outDir, largeRun));

  const [large, smallPhase] = phases as [PhaseResult, PhaseResult];
  const ratio = large.load.latency_ms.p99_ms / smallPhase.load.latency_ms.p99_ms;
  const floorRatio = floor ? large.load.latency_ms.p99_ms / floor.load.latency_ms.p99_ms : NaN;
  const report: HistoryReport = {
    scenario: 'history',
    started_at: startedAt,
    took_s: round((performance.now() - started) / 1_000, 1),
    machine,
    settings: {
      rate: options.rate,
      duration_s: options.duration,
      prime_s: options.prime,
      warmup_s: options.warmup,
      workers: options.workers,
      limit: options.limit,
      messages_large: options.messages,
      messages_small: small,
      messages_per_chat: messagesPerChat,
      query_mix: 'random chat, random member; one third each: no cursor (newest page), before=<uniform 1..last+1>, after=<uniform 0..last-1>',
      latency: 'open loop: from the intended send time of each request to the end of its response (no coordinated omission); 200s only',
      profiled: options.profile,
    },
    phases,
    p99_ratio_large_over_small: Number.isFinite(ratio) ? round(ratio) : null,
    floor,
    p99_ratio_large_over_floor: Number.isFinite(floorRatio) ? round(floorRatio) : null,
    target: {
      ...TARGET,
      applies: options.rate >= TARGET.rate && options.messages >= TARGET.messages,
      met: large.load.latency_ms.p99_ms <= TARGET.p99_ms && large.load.errors === 0 && large.load.achieved_rps >= 0.99 * options.rate,
    },
  };

  writeFileSync(join(outDir, 'history.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = historyMarkdown(report);
  writeFileSync(join(outDir, 'history.md'), markdown);
  writeFileSync(join(outDir, 'history.svg'), historySvg(report));
  process.stdout.write(`${markdown}\n`);
  progress(`history: wrote ${join(outDir, 'history.{json,md,svg}')}`);
  return report;
};
