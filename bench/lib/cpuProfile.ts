import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * A V8 CPU profile of this process over a window (what `node --cpu-prof` records for a
 * whole run), written as a .cpuprofile that Chrome DevTools or speedscope open.
 * The server runs in the benchmark's process, so this profiles the server under load.
 */
export type CpuProfile = {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
};

export const startCpuProfile = async (samplingIntervalMicros = 200) => {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalMicros });
  await session.post('Profiler.start');
  return {
    async stop(path: string): Promise<CpuProfile> {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      writeFileSync(path, JSON.stringify(profile));
      return profile as unknown as CpuProfile;
    },
  };
};

const where = (url: string): string => {
  if (!url) return '(native / V8)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return `npm:${pkg[1]}`;
  if (path.startsWith('node:')) return path;
  const repo = /\/((?:bench|commands|domain|event-store|gateway|projections|read-api|server|testing)\/.*)$/.exec(path);
  return repo ? repo[1]! : path;
};

/**
 * Where the time went: self time by function and by file/package, in percent of the
 * busy samples (idle ones, the event loop waiting, are left out and counted apart).
 * Native work (SQLite, JSON, crypto done in C++) is charged to the JS function that
 * called it, as V8 sees it. Samples are taken on wall time: a thread that is runnable
 * but waiting for a core still shows as busy.
 */
export const summarizeCpuProfile = (profile: CpuProfile, top = 20) => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    if (byId.get(id)?.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const file = where(url);
    const fn = `${functionName || '(anonymous)'}  ${file}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + t);
    byFile.set(file, (byFile.get(file) ?? 0) + t);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, t]) => ({ name, percent: Math.round((t / (total || 1)) * 1_000) / 10 }));
  return { busy_ms: Math.round(total / 1_000), idle_ms: Math.round(idle / 1_000), by_function: rank(byFunction), by_file: rank(byFile) };
};
