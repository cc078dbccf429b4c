import { createLatencyHistogram, recordMillis, type Histogram } from './histogram.ts';

/**
 * Open-loop load: request i is due at `start + (i + phase) / rate`, whatever happened to
 * the requests before it, and its latency is measured from that *intended* time, not
 * from when it actually went out. A server stall therefore shows up in the latency of
 * every request scheduled during it (no coordinated omission), and requests queued
 * behind a busy client are charged their wait as well.
 */
export type OpenLoopOptions = {
  /** Requests per second of this generator. */
  rate: number;
  /** Epoch ms (performance.timeOrigin based) of the schedule's start; shared by cooperating generators. */
  startAtEpochMs: number;
  warmupMs: number;
  durationMs: number;
  /** Offset of this generator's schedule, in request intervals (0..1), so that N generators interleave. */
  phase?: number;
  /** Sends request `i`; resolves with the HTTP status (200 counts as ok), rejects on a transport failure. */
  send: (i: number) => Promise<number>;
  /** Called about once a second with the counts so far. */
  onProgress?: (progress: OpenLoopProgress) => void;
  /** How long to wait for in-flight requests once the schedule is done; the rest are errors. */
  drainTimeoutMs?: number;
};

export type OpenLoopProgress = { scheduled: number; completed: number; ok: number; errors: number; inFlight: number; elapsedMs: number };

export type OpenLoopResult = {
  /** Latency of the measured (post-warm-up) requests that answered 200, in µs. */
  histogram: Histogram;
  /** Latency of every measured answer, whatever its status. */
  allAnswers: Histogram;
  /** Measured requests, i.e. scheduled after the warm-up. */
  measured: number;
  ok: number;
  /** Measured requests that did not answer 200: by status, or `transport` / `timeout`. */
  errors: number;
  errorsByKind: Record<string, number>;
  /** From the end of warm-up to the last measured answer (at least the scheduled duration), in ms. */
  windowMs: number;
  /** Measured 200s per second over the window. */
  achievedRps: number;
  /** Largest lag of the scheduler behind the schedule, in ms (a busy generator shows here). */
  maxSendLagMs: number;
};

export const nowEpochMs = (): number => performance.timeOrigin + performance.now();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const runOpenLoop = async ({
  rate,
  startAtEpochMs,
  warmupMs,
  durationMs,
  phase = 0,
  send,
  onProgress,
  drainTimeoutMs = 30_000,
}: OpenLoopOptions): Promise<OpenLoopResult> => {
  const interval = 1_000 / rate;
  const start = startAtEpochMs + phase * interval;
  const measureFrom = startAtEpochMs + warmupMs;
  const total = Math.floor(((warmupMs + durationMs) * rate) / 1_000);
  const histogram = createLatencyHistogram();
  const allAnswers = createLatencyHistogram();
  const errorsByKind: Record<string, number> = {};
  let scheduled = 0;
  let completed = 0;
  let ok = 0;
  let errors = 0;
  let measured = 0;
  let lastAnswer = measureFrom;
  let maxSendLagMs = 0;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const intended = (i: number) => start + i * interval;

  const fire = (i: number, due: number) => {
    const isMeasured = due >= measureFrom;
    if (isMeasured) measured++;
    inFlight++;
    const settle = (status: number | string) => {
      const at = nowEpochMs();
      inFlight--;
      completed++;
      if (isMeasured) {
        if (typeof status === 'number') recordMillis(allAnswers, at - due);
        if (status === 200) {
          ok++;
          recordMillis(histogram, at - due);
        } else {
          errors++;
          errorsByKind[String(status)] = (errorsByKind[String(status)] ?? 0) + 1;
        }
        if (at > lastAnswer) lastAnswer = at;
      }
      if (inFlight === 0) drained?.();
    };
    send(i).then(settle, () => settle('transport'));
  };

  await sleep(Math.max(0, start - nowEpochMs()));
  const progressTimer = onProgress
    ? setInterval(() => onProgress({ scheduled, completed, ok, errors, inFlight, elapsedMs: nowEpochMs() - startAtEpochMs }), 1_000)
    : undefined;

  // Fire everything that is due, then sleep until the next one is (timers have ~1 ms granularity).
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = nowEpochMs();
      while (scheduled < total && intended(scheduled) <= now) {
        const due = intended(scheduled);
        maxSendLagMs = Math.max(maxSendLagMs, now - due);
        fire(scheduled, due);
        scheduled++;
      }
      if (scheduled >= total) return resolve();
      setTimeout(tick, Math.max(0, intended(scheduled) - nowEpochMs()));
    };
    tick();
  });

  if (inFlight > 0) {
    const timedOut = await Promise.race([
      new Promise<false>((resolve) => (drained = () => resolve(false))),
      sleep(drainTimeoutMs).then(() => true as const),
    ]);
    if (timedOut) {
      // Still unanswered: errors. (They were all measured, warm-up requests are long done.)
      errors += inFlight;
      errorsByKind.timeout = (errorsByKind.timeout ?? 0) + inFlight;
    }
  }
  if (progressTimer) clearInterval(progressTimer);
  onProgress?.({ scheduled, completed, ok, errors, inFlight, elapsedMs: nowEpochMs() - startAtEpochMs });

  const windowMs = Math.max(durationMs, lastAnswer - measureFrom);
  return {
    histogram,
    allAnswers,
    measured,
    ok,
    errors,
    errorsByKind,
    windowMs,
    achievedRps: windowMs > 0 ? (ok * 1_000) / windowMs : 0,
    maxSendLagMs: Math.round(maxSendLagMs * 1_000) / 1_000,
  };
};
