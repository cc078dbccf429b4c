/** Shared by the scenarios' smoke tests: run `npm run bench -- <scenario> …` in a child at toy sizes and read its JSON. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export const runBenchScenario = async (scenario: string, args: readonly string[], timeoutMs = 40_000) => {
  const out = mkdtempSync(join(tmpdir(), `bench-${scenario}-smoke-`));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, 'bench/run.ts', scenario, ...args, '--out', out], {
      cwd: repoRoot,
      timeout: timeoutMs,
      maxBuffer: 16 * 2 ** 20,
    });
    const read = (ext: string) => readFileSync(join(out, `${scenario}.${ext}`), 'utf8');
    return { stdout, json: JSON.parse(read('json')) as any, markdown: read('md'), svg: read('svg') };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
};

/** Every latency summary figure is a positive finite number. */
export const wellFormedLatency = (summary: Record<string, number>) =>
  ['p50_ms', 'p90_ms', 'p99_ms', 'p99_9_ms', 'max_ms'].every((k) => Number.isFinite(summary[k]) && summary[k]! > 0);
