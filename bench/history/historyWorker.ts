/**
 * A load-generator process of the history scenario: GET /v1/messages at a fixed rate
 * (open loop), as random members of random chats, with no cursor, a random `before`
 * or a random `after`. Started by the scenario through startWorkerPool.
 */
import { encodeHistogram } from '../lib/histogram.ts';
import { createHttpGetter } from '../lib/httpGet.ts';
import { nowEpochMs, runOpenLoop, type OpenLoopProgress } from '../lib/openLoop.ts';
import { seededRandom } from '../lib/random.ts';
import { serveWorkerJobs } from '../lib/workerPool.ts';

export type HistoryTarget = { chatId: string; lastSeq: number; /** Indexes into `tokens`. */ members: number[] };

export type HistoryJob = {
  url: string;
  tokens: string[];
  chats: HistoryTarget[];
  limit: number;
  rate: number;
  startAtEpochMs: number;
  warmupMs: number;
  durationMs: number;
  phase: number;
  seed: number;
  maxSockets: number;
};

export type HistoryWorkerProgress = OpenLoopProgress;

export type HistoryWorkerResult = {
  /** Compressed base64 HdrHistogram of the 200s' latencies, in µs. */
  histogram: string;
  measured: number;
  ok: number;
  errors: number;
  errorsByKind: Record<string, number>;
  windowMs: number;
  achievedRps: number;
  maxSendLagMs: number;
  /** Bytes of all response bodies (warm-up included) and how many there were. */
  responseBytes: number;
  responses: number;
  byCursor: { none: number; before: number; after: number };
  /** CPU seconds this worker used for the job (user + system), and the job's wall seconds. */
  cpuSeconds: number;
  wallSeconds: number;
};

/** Requests each worker keeps in flight while priming. */
const PRIME_CONCURRENCY = 8;

const run = async (job: HistoryJob, progress: (p: HistoryWorkerProgress) => void): Promise<HistoryWorkerResult> => {
  const http = createHttpGetter(job.url, { maxSockets: job.maxSockets });
  const headers = job.tokens.map((token) => ({ authorization: `Bearer ${token}` }));
  let byCursor = { none: 0, before: 0, after: 0 };
  let responseBytes = 0;
  let responses = 0;

  const request = async (random: ReturnType<typeof seededRandom>): Promise<number> => {
    const chat = random.pick(job.chats);
    const member = random.pick(chat.members);
    let path = `/v1/messages?chat_id=${encodeURIComponent(chat.chatId)}&limit=${job.limit}`;
    switch (random.int(0, 2)) {
      case 0:
        byCursor.none++;
        break;
      case 1:
        byCursor.before++;
        path += `&before=${random.int(1, chat.lastSeq + 1)}`;
        break;
      default:
        byCursor.after++;
        path += `&after=${random.int(0, Math.max(0, chat.lastSeq - 1))}`;
    }
    const { status, bytes } = await http.get(path, headers[member]!);
    responseBytes += bytes;
    responses++;
    return status;
  };

  // Closed loop until shortly before the schedule starts: the server's JIT, caches and this
  // worker's connections warm up without a backlog. Open loop from a cold start queued up to
  // 2,900 requests on the 1 M store, and the queue fed itself (requests in flight survive
  // young-generation GCs, promotion, longer GCs). Not counted.
  const primeRandom = seededRandom(job.seed ^ 0x9e3779b9);
  const primeUntil = job.startAtEpochMs - 100;
  const prime = async () => {
    while (nowEpochMs() < primeUntil) await request(primeRandom).catch(() => 0);
  };
  await Promise.all(Array.from({ length: PRIME_CONCURRENCY }, prime));
  byCursor = { none: 0, before: 0, after: 0 };
  responseBytes = 0;
  responses = 0;

  const random = seededRandom(job.seed);
  const send = () => request(random);
  const cpuAtStart = process.cpuUsage();
  const startedMs = performance.now();

  try {
    const result = await runOpenLoop({
      rate: job.rate,
      startAtEpochMs: job.startAtEpochMs,
      warmupMs: job.warmupMs,
      durationMs: job.durationMs,
      phase: job.phase,
      send,
      onProgress: progress,
    });
    const cpu = process.cpuUsage(cpuAtStart);
    return {
      histogram: encodeHistogram(result.histogram),
      measured: result.measured,
      ok: result.ok,
      errors: result.errors,
      errorsByKind: result.errorsByKind,
      windowMs: result.windowMs,
      achievedRps: result.achievedRps,
      maxSendLagMs: result.maxSendLagMs,
      responseBytes,
      responses,
      byCursor,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      wallSeconds: (performance.now() - startedMs) / 1_000,
    };
  } finally {
    http.close();
  }
};

serveWorkerJobs<HistoryJob, HistoryWorkerProgress, HistoryWorkerResult>(run);
