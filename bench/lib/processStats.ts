import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Memory and CPU of a process from /proc (Linux): resident set size now and at its
 * peak (VmHWM), and user + system CPU time. Elsewhere it falls back to what Node
 * knows about its own process.
 */
export type ProcessSnapshot = {
  rssBytes: number;
  /** Peak RSS since start or since the last resetPeakRss (VmHWM). */
  peakRssBytes: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  /** performance.now() when read. */
  atMs: number;
};

let clockTicks: number | undefined;
const ticksPerSecond = (): number => {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
};

const kib = (status: string, field: string): number | undefined => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1_024 : undefined;
};

export const readProcessSnapshot = (pid: number = process.pid): ProcessSnapshot => {
  const atMs = performance.now();
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = ticksPerSecond();
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssBytes = kib(status, 'VmRSS') ?? 0;
    return {
      rssBytes,
      peakRssBytes: kib(status, 'VmHWM') ?? rssBytes,
      cpuUserSeconds: Number(fields[11]) / tick, // field 14: utime
      cpuSystemSeconds: Number(fields[12]) / tick, // field 15: stime
      atMs,
    };
  } catch {
    if (pid !== process.pid) throw new Error(`no /proc stats for pid ${pid}`);
    const cpu = process.cpuUsage();
    const rssBytes = process.memoryUsage.rss();
    return { rssBytes, peakRssBytes: rssBytes, cpuUserSeconds: cpu.user / 1e6, cpuSystemSeconds: cpu.system / 1e6, atMs };
  }
};

/** Resets VmHWM to the current RSS (Linux: `5` into clear_refs). False when not possible. */
export const resetPeakRss = (pid: number = process.pid): boolean => {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
};

export type ProcessUsage = {
  wallSeconds: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  cpuSeconds: number;
  /** CPU seconds per wall second: 1.0 = one core busy throughout. */
  cpuCores: number;
  rssStartBytes: number;
  rssEndBytes: number;
  /** Highest RSS over the window: VmHWM when it could be reset at the start, else the highest sample. */
  peakRssBytes: number;
  peakRssSource: 'VmHWM' | 'samples';
};

/** Measures a window of a process's life: CPU time used in it and its peak RSS. */
export const measureProcess = (pid: number = process.pid, sampleEveryMs = 100) => {
  const peakReset = resetPeakRss(pid);
  const start = readProcessSnapshot(pid);
  let highest = start.rssBytes;
  const timer = setInterval(() => {
    highest = Math.max(highest, readProcessSnapshot(pid).rssBytes);
  }, sampleEveryMs);
  timer.unref();
  return {
    current: () => readProcessSnapshot(pid),
    stop(): ProcessUsage {
      clearInterval(timer);
      const end = readProcessSnapshot(pid);
      highest = Math.max(highest, end.rssBytes);
      const cpuUserSeconds = end.cpuUserSeconds - start.cpuUserSeconds;
      const cpuSystemSeconds = end.cpuSystemSeconds - start.cpuSystemSeconds;
      const wallSeconds = (end.atMs - start.atMs) / 1_000;
      return {
        wallSeconds,
        cpuUserSeconds: round3(cpuUserSeconds),
        cpuSystemSeconds: round3(cpuSystemSeconds),
        cpuSeconds: round3(cpuUserSeconds + cpuSystemSeconds),
        cpuCores: wallSeconds > 0 ? round3((cpuUserSeconds + cpuSystemSeconds) / wallSeconds) : 0,
        rssStartBytes: start.rssBytes,
        rssEndBytes: end.rssBytes,
        peakRssBytes: peakReset ? Math.max(end.peakRssBytes, highest) : highest,
        peakRssSource: peakReset ? 'VmHWM' : 'samples',
      };
    },
  };
};

const round3 = (n: number) => Math.round(n * 1_000) / 1_000;

/** Whole-machine CPU time from the first line of /proc/stat, in seconds: busy (not idle or iowait) and total. */
export const readSystemCpu = (): { busySeconds: number; totalSeconds: number } | undefined => {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const ticks = first.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user/nice)
    const total = ticks.slice(0, 8).reduce((s, t) => s + t, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    const tick = ticksPerSecond();
    return { busySeconds: (total - idle) / tick, totalSeconds: total / tick };
  } catch {
    return undefined;
  }
};

/**
 * How busy the whole machine was over a window, in cores: what the benchmark's own
 * processes used is subtracted by the caller to see how much other work ran alongside.
 */
export const measureMachine = () => {
  const start = readSystemCpu();
  const startedMs = performance.now();
  return {
    stop: (): { busyCores: number } | undefined => {
      const end = readSystemCpu();
      if (!start || !end) return undefined;
      const wall = (performance.now() - startedMs) / 1_000;
      return { busyCores: wall > 0 ? round3((end.busySeconds - start.busySeconds) / wall) : 0 };
    },
  };
};
