/**
 * A load-generator process for the WebSocket scenarios (direct, group, max, connections).
 * It keeps its connections between jobs:
 * - `connect`: opens one authenticated connection per user (concurrency-limited, source
 *   addresses rotated over `localAddresses`), reports the ramp;
 * - `load`: open-loop sends at `rate` (latency from the intended send time), each a
 *   ~`contentBytes` text stamped with its intended send time; records send→ack here and
 *   send→deliver wherever the message lands (all workers share the machine clock);
 * - `close`: drops every connection.
 */
import { createTokens } from '../../read-api/tokens.ts';
import { connectChat, stampContent, stampOf, type ChatConnection } from '../lib/chatConnection.ts';
import { createLatencyHistogram, encodeHistogram, recordMillis } from '../lib/histogram.ts';
import { nowEpochMs, runOpenLoop } from '../lib/openLoop.ts';
import { seededRandom } from '../lib/random.ts';
import type { TargetInfo } from '../lib/targets.ts';
import { serveWorkerJobs } from '../lib/workerPool.ts';

export type ConnectJob = {
  type: 'connect';
  target: TargetInfo;
  users: string[];
  localAddresses?: string[];
  concurrency: number;
  tokenTtlSeconds: number;
};
/** One possible send: from this worker's user `from` (index into its connect job's users) to a user or a chat. */
export type SendSpec = { from: number; receiverId?: string; chatId?: string };
export type LoadJob = {
  type: 'load';
  sends: SendSpec[];
  rate: number;
  startAtEpochMs: number;
  warmupMs: number;
  durationMs: number;
  phase: number;
  seed: number;
  contentBytes: number;
  /** After the last ack: wait until no delivery arrived for this long (at most 10× it). */
  quietMs: number;
  drainTimeoutMs: number;
};
/** One message per send spec, awaited, `concurrency` at a time: the chats exist and the server is warm before the load. */
export type PrimeJob = { type: 'prime'; sends: SendSpec[]; concurrency: number };
export type CloseJob = { type: 'close' };
export type ChatJob = ConnectJob | LoadJob | PrimeJob | CloseJob;

export type ChatProgress = {
  phase: 'connect' | 'load';
  connected: number;
  failed: number;
  scheduled: number;
  completed: number;
  ok: number;
  errors: number;
  inFlight: number;
  delivered: number;
  elapsedMs: number;
};

export type ConnectResult = { type: 'connect'; connected: number; failed: number; errorsByKind: Record<string, number>; rampMs: number; cpuSeconds: number; wallSeconds: number };
export type LoadResult = {
  type: 'load';
  ackHistogram: string;
  deliverHistogram: string;
  measured: number;
  ok: number;
  errors: number;
  errorsByKind: Record<string, number>;
  windowMs: number;
  maxSendLagMs: number;
  /** Deliveries of measured sends received here, and of all sends. */
  deliveredMeasured: number;
  deliveredAll: number;
  /** Connections that closed during the job. */
  dropped: number;
  cpuSeconds: number;
  wallSeconds: number;
};
export type PrimeResult = { type: 'prime'; sent: number; errors: number };
export type CloseResult = { type: 'close'; closed: number };
export type ChatResult = ConnectResult | LoadResult | PrimeResult | CloseResult;

let connections: (ChatConnection | undefined)[] = [];
let dropped = 0;
// Set by the running load job: where deliveries are recorded.
let onDeliver: (content: string) => void = () => {};

const kindOf = (e: unknown): string => {
  const m = e instanceof Error ? e.message : String(e);
  const http = /HTTP (\d+)/.exec(m);
  if (http) return `http_${http[1]}`;
  const code = (e as { code?: string }).code;
  return code ?? m.slice(0, 40);
};

const connect = async (job: ConnectJob, progress: (p: ChatProgress) => void): Promise<ConnectResult> => {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const tokens = job.target.kind === 'project' ? createTokens(job.target.jwtSecret!, 'chat', { cacheSize: 1 }) : undefined;
  const errorsByKind: Record<string, number> = {};
  let next = 0;
  let connected = 0;
  let failed = 0;
  const base = connections.length;
  connections.length = base + job.users.length;
  const report = () =>
    progress({ phase: 'connect', connected, failed, scheduled: 0, completed: 0, ok: 0, errors: 0, inFlight: 0, delivered: 0, elapsedMs: performance.now() - started });
  const timer = setInterval(report, 1_000);
  const lane = async () => {
    while (next < job.users.length) {
      const i = next++;
      const user = job.users[i]!;
      try {
        const token = tokens ? await tokens.issue(user, [], job.tokenTtlSeconds) : user;
        connections[base + i] = await connectChat({
          kind: job.target.kind,
          url: job.target.url,
          token,
          ...(job.localAddresses?.length && { localAddress: job.localAddresses[i % job.localAddresses.length]! }),
          onDeliver: (content) => onDeliver(content),
          onClose: () => dropped++,
        });
        connected++;
      } catch (e) {
        failed++;
        const k = kindOf(e);
        errorsByKind[k] = (errorsByKind[k] ?? 0) + 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, lane));
  } finally {
    clearInterval(timer);
  }
  report();
  const rampMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  return { type: 'connect', connected, failed, errorsByKind, rampMs, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: rampMs / 1_000 };
};

const load = async (job: LoadJob, progress: (p: ChatProgress) => void): Promise<LoadResult> => {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const random = seededRandom(job.seed);
  const deliverHistogram = createLatencyHistogram();
  const measureFrom = job.startAtEpochMs + job.warmupMs;
  let deliveredMeasured = 0;
  let deliveredAll = 0;
  let lastDeliveryAt = performance.now();
  const droppedAtStart = dropped;
  onDeliver = (content) => {
    const at = nowEpochMs();
    lastDeliveryAt = performance.now();
    deliveredAll++;
    const { intended, measured } = stampOf(content);
    if (measured) {
      deliveredMeasured++;
      recordMillis(deliverHistogram, at - intended);
    }
  };
  const tag = `w${job.seed.toString(36)}-${Date.now().toString(36)}`;
  const interval = 1_000 / job.rate;
  const start = job.startAtEpochMs + job.phase * interval;
  let last = { scheduled: 0, completed: 0, ok: 0, errors: 0, inFlight: 0, elapsedMs: 0 };
  const receiveOnly = async () => {
    // Nothing to send from here (e.g. group members held by this worker): just receive until the schedule ends.
    const end = job.startAtEpochMs + job.warmupMs + job.durationMs;
    while (nowEpochMs() < end) {
      await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(1, end - nowEpochMs()))));
      progress({ phase: 'load', connected: connections.filter((c) => c?.open).length, failed: 0, delivered: deliveredAll, ...last, elapsedMs: nowEpochMs() - job.startAtEpochMs });
    }
    return { histogram: createLatencyHistogram(), measured: 0, ok: 0, errors: 0, errorsByKind: {}, windowMs: job.durationMs, maxSendLagMs: 0 };
  };
  const result = job.sends.length === 0 ? await receiveOnly() : await runOpenLoop({
    rate: job.rate,
    startAtEpochMs: job.startAtEpochMs,
    warmupMs: job.warmupMs,
    durationMs: job.durationMs,
    phase: job.phase,
    drainTimeoutMs: job.drainTimeoutMs,
    onProgress: (p) => {
      last = p;
      progress({ phase: 'load', connected: connections.filter((c) => c?.open).length, failed: 0, delivered: deliveredAll, ...p });
    },
    send: async (i) => {
      const spec = random.pick(job.sends);
      const connection = connections[spec.from];
      if (!connection) return 'no_connection' as unknown as number;
      const outcome = await connection.send({
        ...(spec.chatId ? { chat_id: spec.chatId } : { receiver_id: spec.receiverId! }),
        message_type: 'text',
        // The same expressions as runOpenLoop's intended time and measured test.
        content: stampContent(start + i * interval, start + i * interval >= measureFrom, job.contentBytes),
        client_msg_id: `${tag}-${i}`,
      });
      return outcome as unknown as number;
    },
  });
  // Deliveries trail the acks: wait for a quiet spell.
  const deadline = performance.now() + 10 * job.quietMs;
  while (performance.now() - lastDeliveryAt < job.quietMs && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    progress({ phase: 'load', connected: connections.filter((c) => c?.open).length, failed: 0, delivered: deliveredAll, ...last });
  }
  onDeliver = () => {};
  const cpu = process.cpuUsage(cpu0);
  return {
    type: 'load',
    ackHistogram: encodeHistogram(result.histogram),
    deliverHistogram: encodeHistogram(deliverHistogram),
    measured: result.measured,
    ok: result.ok,
    errors: result.errors,
    errorsByKind: result.errorsByKind,
    windowMs: result.windowMs,
    maxSendLagMs: result.maxSendLagMs,
    deliveredMeasured,
    deliveredAll,
    dropped: dropped - droppedAtStart,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds: (performance.now() - started) / 1_000,
  };
};

const prime = async (job: PrimeJob): Promise<PrimeResult> => {
  let next = 0;
  let sent = 0;
  let errors = 0;
  const tag = `p${process.pid.toString(36)}-${Date.now().toString(36)}`;
  const lane = async () => {
    while (next < job.sends.length) {
      const i = next++;
      const spec = job.sends[i]!;
      const outcome = await connections[spec.from]?.send({
        ...(spec.chatId ? { chat_id: spec.chatId } : { receiver_id: spec.receiverId! }),
        message_type: 'text',
        content: 'prime', // not a stamped content: receivers do not record it
        client_msg_id: `${tag}-${i}`,
      });
      if (outcome === 200) sent++;
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, lane));
  return { type: 'prime', sent, errors };
};

const close = async (): Promise<CloseResult> => {
  let closed = 0;
  for (const c of connections) {
    if (!c) continue;
    c.close();
    closed++;
  }
  connections = [];
  // Let the closes reach the server before the next phase measures anything.
  await new Promise((r) => setTimeout(r, 200));
  return { type: 'close', closed };
};

serveWorkerJobs<ChatJob, ChatProgress, ChatResult>((job, progress) => {
  if (job.type === 'connect') return connect(job, progress);
  if (job.type === 'load') return load(job, progress);
  if (job.type === 'prime') return prime(job);
  return close();
});
