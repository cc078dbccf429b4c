/**
 * CPU of the server, the load workers and everything else on the machine, per second
 * (for the progress line) and over a measured window (for the report): the machine is
 * shared, so every figure carries how many cores other processes kept busy meanwhile.
 */
import { loadavg } from 'node:os';
import { measureMachine, measureProcess, readProcessSnapshot, readSystemCpu, type ProcessUsage } from './processStats.ts';

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

const cpuOf = (pid: number): number => {
  try {
    const s = readProcessSnapshot(pid);
    return s.cpuUserSeconds + s.cpuSystemSeconds;
  } catch {
    return 0;
  }
};

export type WindowUsage = {
  server: ProcessUsage;
  load_workers_cores: number;
  machine: { busy_cores: number | null; other_busy_cores: number | null; load_average: number[] };
};

/** Samples once a second; `line()` describes the last second. */
export const createLoadMonitor = (serverPid: number, workerPids: readonly number[]) => {
  let last = { at: performance.now(), server: cpuOf(serverPid), workers: workerPids.reduce((s, p) => s + cpuOf(p), 0), machine: readSystemCpu()?.busySeconds ?? 0 };
  let lastLine = '';
  const sample = () => {
    const now = { at: performance.now(), server: cpuOf(serverPid), workers: workerPids.reduce((s, p) => s + cpuOf(p), 0), machine: readSystemCpu()?.busySeconds ?? 0 };
    const dt = (now.at - last.at) / 1_000 || 1;
    const server = (now.server - last.server) / dt;
    const workers = (now.workers - last.workers) / dt;
    const other = Math.max(0, (now.machine - last.machine) / dt - server - workers);
    let rss = 0;
    try {
      rss = readProcessSnapshot(serverPid).rssBytes;
    } catch {
      /* gone */
    }
    lastLine = `server ${(server * 100).toFixed(0)}% CPU, RSS ${(rss / 2 ** 20).toFixed(0)} MiB; workers ${(workers * 100).toFixed(0)}%; other processes ${(other * 100).toFixed(0)}%`;
    last = now;
  };
  const timer = setInterval(sample, 1_000);
  timer.unref();
  return {
    line: () => lastLine,
    stop: () => clearInterval(timer),
    /** Starts measuring a window: server CPU and peak RSS, workers' CPU, the whole machine. */
    window: () => {
      const server = measureProcess(serverPid);
      const workers0 = workerPids.reduce((s, p) => s + cpuOf(p), 0);
      const machine = measureMachine();
      const started = performance.now();
      return {
        stop: (): WindowUsage => {
          const usage = server.stop();
          const wall = (performance.now() - started) / 1_000 || 1;
          const workersCores = (workerPids.reduce((s, p) => s + cpuOf(p), 0) - workers0) / wall;
          const busy = machine.stop();
          return {
            server: usage,
            load_workers_cores: round(workersCores),
            machine: {
              busy_cores: busy?.busyCores ?? null,
              other_busy_cores: busy ? round(Math.max(0, busy.busyCores - usage.cpuCores - workersCores)) : null,
              load_average: loadavg().map((l) => round(l)),
            },
          };
        },
      };
    },
  };
};
