/**
 * Running the WebSocket load scenarios' phases against one target: spread the users
 * over the workers, connect them, run the open-loop load, merge what the workers
 * measured, and measure the server (child process) and the machine over the window.
 * Shared by `direct`, `group` and `max`.
 */
import { createTokens } from '../../read-api/tokens.ts';
import { decodeHistogram, mergeHistograms, percentileCurve, summarize, type LatencySummary, type PercentilePoint } from '../lib/histogram.ts';
import { createLoadMonitor, type WindowUsage } from '../lib/loadMonitor.ts';
import { nowEpochMs } from '../lib/openLoop.ts';
import { formatCount, progress } from '../lib/report.ts';
import type { RunningTarget, TargetKind } from '../lib/targets.ts';
import type { WorkerPool } from '../lib/workerPool.ts';
import type { ChatJob, ChatProgress, ChatResult, ConnectResult, LoadResult, PrimeResult, SendSpec } from './chatWorker.ts';

export type ChatPool = WorkerPool<ChatJob, ChatProgress, ChatResult>;
export const CHAT_WORKER = new URL('./chatWorker.ts', import.meta.url);

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

export type ConnectSummary = {
  requested: number;
  connected: number;
  failed: number;
  errors_by_kind: Record<string, number>;
  ramp_s: number;
  connections_per_s: number;
};

/** Opens `perWorkerUsers[w]` on worker w; progress once a second. */
export const connectAll = async (
  pool: ChatPool,
  target: RunningTarget,
  perWorkerUsers: string[][],
  { label, concurrency = 50, localAddresses, monitor }: { label: string; concurrency?: number; localAddresses?: string[][]; monitor?: ReturnType<typeof createLoadMonitor> },
): Promise<ConnectSummary> => {
  const requested = perWorkerUsers.reduce((s, u) => s + u.length, 0);
  const latest: (ChatProgress | undefined)[] = [];
  const ticker = setInterval(() => {
    const connected = latest.reduce((s, p) => s + (p?.connected ?? 0), 0);
    const failed = latest.reduce((s, p) => s + (p?.failed ?? 0), 0);
    progress(`[${label}] connecting ${formatCount(connected)}/${formatCount(requested)} (failed ${failed})${monitor ? `; ${monitor.line()}` : ''}`);
  }, 1_000);
  const started = performance.now();
  let results: ConnectResult[];
  try {
    results = (await pool.run(
      perWorkerUsers.map((users, w) => ({
        type: 'connect' as const,
        target: { kind: target.kind, url: target.url, ...(target.jwtSecret && { jwtSecret: target.jwtSecret }) },
        users,
        ...(localAddresses && { localAddresses: localAddresses[w]! }),
        concurrency,
        tokenTtlSeconds: 4 * 3_600,
      })),
      (w, p) => (latest[w] = p),
    )) as ConnectResult[];
  } finally {
    clearInterval(ticker);
  }
  const ramp = (performance.now() - started) / 1_000;
  const errors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errorsByKind)) errors[k] = (errors[k] ?? 0) + v;
  const connected = results.reduce((s, r) => s + r.connected, 0);
  return {
    requested,
    connected,
    failed: results.reduce((s, r) => s + r.failed, 0),
    errors_by_kind: errors,
    ramp_s: round(ramp, 2),
    connections_per_s: Math.round(connected / ramp),
  };
};

export const closeAll = async (pool: ChatPool) => {
  await pool.run(Array.from({ length: pool.size }, () => ({ type: 'close' as const })));
};

/** POST /v1/groups on the target as `creator`: the group's chat id. */
export const createGroup = async (target: RunningTarget, creator: string, memberIds: string[]): Promise<string> => {
  const token = target.kind === 'project' ? await createTokens(target.jwtSecret!, 'chat').issue(creator, [], 3_600) : creator;
  const response = await fetch(`${target.url}/v1/groups`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench group', member_ids: memberIds }),
  });
  const body = (await response.json()) as { chat_id?: string };
  if (response.status !== 201 || !body.chat_id) throw new Error(`POST /v1/groups answered ${response.status}: ${JSON.stringify(body)}`);
  return body.chat_id;
};

export type LoadPhaseResult = {
  label: string;
  target: TargetKind;
  target_rate: number;
  fanout: number;
  sends: { measured: number; ok: number; errors: number; errors_by_kind: Record<string, number> };
  achieved_msgs_per_s: number;
  deliveries: { expected: number; received: number; missing: number; per_s: number };
  ack_ms: LatencySummary;
  deliver_ms: LatencySummary;
  ack_curve: PercentilePoint[];
  deliver_curve: PercentilePoint[];
  max_send_lag_ms: number;
  dropped_connections: number;
  server: { cpu_cores: number; cpu_ms_per_msg: number | null; rss_start_bytes: number; peak_rss_bytes: number; peak_rss_source: string };
  load_workers_cores: number;
  machine_during_load: WindowUsage['machine'];
};

export type LoadSettings = { rate: number; warmupS: number; durationS: number; contentBytes: number; seed: number };

/**
 * Before the load: every sender sends one message on each of its send specs, awaited
 * (a few at a time), unmeasured. The chats then exist and the server has run the
 * send path, as in a server that has been up for a while; without it the first second
 * of an open-loop run at full rate measures chat creation and a cold JIT, and the
 * backlog it leaves is carried through the whole run.
 */
export const primeChats = async (pool: ChatPool, perWorkerSends: SendSpec[][], label: string): Promise<{ sent: number; errors: number }> => {
  const started = performance.now();
  const results = (await pool.run(
    perWorkerSends.map((sends) => ({ type: 'prime' as const, sends, concurrency: 16 })),
    () => {},
  )) as PrimeResult[];
  const sent = results.reduce((s, r) => s + r.sent, 0);
  const errors = results.reduce((s, r) => s + r.errors, 0);
  progress(`[${label}] primed ${formatCount(sent)} chats in ${((performance.now() - started) / 1_000).toFixed(1)} s (errors ${errors})`);
  return { sent, errors };
};

/** Open-loop load at `rate` total (split over the workers) on connections already open. */
export const runLoad = async (
  pool: ChatPool,
  target: RunningTarget,
  perWorkerSends: SendSpec[][],
  fanout: number,
  s: LoadSettings,
  label: string,
  monitor: ReturnType<typeof createLoadMonitor>,
): Promise<LoadPhaseResult> => {
  const startAtEpochMs = nowEpochMs() + 300;
  const activeWorkers = perWorkerSends.map((sends) => sends.length > 0);
  const active = activeWorkers.filter(Boolean).length;
  let slot = 0;
  const jobs: ChatJob[] = perWorkerSends.map((sends, w) => ({
    type: 'load' as const,
    sends,
    // A worker with nothing to send only receives (group members): rate is nominal and it sends nothing.
    rate: sends.length > 0 ? s.rate / active : 1,
    startAtEpochMs,
    warmupMs: s.warmupS * 1_000,
    durationMs: s.durationS * 1_000,
    phase: sends.length > 0 ? slot++ / active : 0,
    seed: s.seed + 101 * w,
    contentBytes: s.contentBytes,
    quietMs: 500,
    drainTimeoutMs: 15_000,
  }));
  let window: ReturnType<ReturnType<typeof createLoadMonitor>['window']> | undefined;
  const startWindow = setTimeout(() => (window = monitor.window()), Math.max(0, startAtEpochMs + s.warmupS * 1_000 - nowEpochMs()));
  const latest: (ChatProgress | undefined)[] = [];
  const ticker = setInterval(() => {
    const ps = latest.filter((p): p is ChatProgress => p !== undefined);
    if (!ps.length) return;
    const sum = (k: keyof ChatProgress) => ps.reduce((t, p) => t + (p[k] as number), 0);
    const elapsed = Math.max(...ps.map((p) => p.elapsedMs)) / 1_000;
    const phase = elapsed < s.warmupS ? 'warm-up' : elapsed <= s.warmupS + s.durationS ? 'load' : 'draining';
    progress(
      `[${label}] ${phase} ${elapsed.toFixed(0)}/${s.warmupS + s.durationS} s: sent ${formatCount(sum('scheduled'))}, acked ${formatCount(sum('ok'))}, ` +
        `errors ${formatCount(sum('errors'))}, in flight ${formatCount(sum('inFlight'))}, delivered ${formatCount(sum('delivered'))}; ${monitor.line()}`,
    );
  }, 1_000);
  let results: LoadResult[];
  try {
    results = (await pool.run(jobs, (w, p) => (latest[w] = p))) as LoadResult[];
  } finally {
    clearInterval(ticker);
    clearTimeout(startWindow);
  }
  const usage = (window ?? monitor.window()).stop();
  const ack = mergeHistograms(results.map((r) => decodeHistogram(r.ackHistogram)));
  const deliver = mergeHistograms(results.map((r) => decodeHistogram(r.deliverHistogram)));
  const sum = (f: (r: LoadResult) => number) => results.reduce((t, r) => t + f(r), 0);
  const errors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errorsByKind)) errors[k] = (errors[k] ?? 0) + v;
  const windowS = Math.max(...results.filter((_, w) => activeWorkers[w]).map((r) => r.windowMs)) / 1_000;
  const ok = sum((r) => r.ok);
  const expected = ok * fanout;
  const received = sum((r) => r.deliveredMeasured);
  return {
    label,
    target: target.kind,
    target_rate: s.rate,
    fanout,
    sends: { measured: sum((r) => r.measured), ok, errors: sum((r) => r.errors), errors_by_kind: errors },
    achieved_msgs_per_s: round(ok / windowS, 1),
    deliveries: { expected, received, missing: Math.max(0, expected - received), per_s: round(received / windowS, 1) },
    ack_ms: summarize(ack),
    deliver_ms: summarize(deliver),
    ack_curve: percentileCurve(ack),
    deliver_curve: percentileCurve(deliver),
    max_send_lag_ms: Math.max(...results.map((r) => r.maxSendLagMs)),
    dropped_connections: sum((r) => r.dropped),
    server: {
      cpu_cores: usage.server.cpuCores,
      cpu_ms_per_msg: ok > 0 ? round((usage.server.cpuSeconds * 1_000) / ok) : null,
      rss_start_bytes: usage.server.rssStartBytes,
      peak_rss_bytes: usage.server.peakRssBytes,
      peak_rss_source: usage.server.peakRssSource,
    },
    load_workers_cores: usage.load_workers_cores,
    machine_during_load: usage.machine,
  };
};

/** A phase that kept up: every measured send acknowledged, nearly every delivery in. */
export const heldUp = (p: LoadPhaseResult, maxP99Ms: number) =>
  p.sends.errors === 0 &&
  p.deliveries.missing <= p.deliveries.expected * 0.001 &&
  p.achieved_msgs_per_s >= 0.95 * p.target_rate &&
  p.deliver_ms.p99_ms <= maxP99Ms;
