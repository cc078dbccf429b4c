/**
 * Per-target plumbing shared by the WebSocket scenarios: start a target (optionally with
 * a V8 CPU profile of the project's server over its whole life, via --cpu-prof), and
 * summarize that profile once the server has exited.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarizeCpuProfile, type CpuProfile } from '../lib/cpuProfile.ts';
import { progress } from '../lib/report.ts';
import { startTarget, type RunningTarget, type TargetKind } from '../lib/targets.ts';

export type ProfileSummary = ReturnType<typeof summarizeCpuProfile> & { file: string };

export const startProfiledTarget = async (kind: TargetKind, profileDir: string | undefined): Promise<RunningTarget & { profile(): ProfileSummary | undefined }> => {
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const path = profileDir ? join(profileDir, `server-${Date.now()}.cpuprofile`) : '';
  // --cpu-prof is refused in NODE_OPTIONS: a preloaded module profiles the child instead and writes at exit.
  const env: Record<string, string> =
    profileDir && kind === 'project'
      ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${fileURLToPath(new URL('../lib/cpuProfileOnExit.mjs', import.meta.url))}`.trim(), BENCH_CPU_PROFILE: path }
      : {};
  const target = await startTarget(kind, env);
  return {
    ...target,
    profile: () => {
      if (!profileDir || kind !== 'project' || !existsSync(path)) return undefined;
      const summary = { file: path, ...summarizeCpuProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, 25) };
      progress(`CPU profile of the server (whole life): ${path}`);
      for (const f of summary.by_file.slice(0, 12)) progress(`  ${String(f.percent).padStart(5)}%  ${f.name}`);
      return summary;
    },
  };
};

/** Users `prefix-0 … prefix-(n-1)`, spread round-robin in pairs (2k, 2k+1) over `workers`. */
export const pairsOverWorkers = (prefix: string, clients: number, workers: number) => {
  const users: string[][] = Array.from({ length: workers }, () => []);
  const sends: { from: number; receiverId: string }[][] = Array.from({ length: workers }, () => []);
  for (let pair = 0; pair * 2 + 1 < clients; pair++) {
    const w = pair % workers;
    const a = `${prefix}-${pair * 2}`;
    const b = `${prefix}-${pair * 2 + 1}`;
    const ia = users[w]!.push(a) - 1;
    const ib = users[w]!.push(b) - 1;
    sends[w]!.push({ from: ia, receiverId: b }, { from: ib, receiverId: a });
  }
  return { users, sends };
};
