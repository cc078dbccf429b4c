import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const out = mkdtempSync(join(tmpdir(), 'bench-history-smoke-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The history scenario end to end at toy sizes: it runs and writes well-formed results. Not a measurement. */
describe('bench history (smoke)', () => {
  it('writes history.json, .md and .svg with figures for both store sizes and the bare-HTTP floor', async () => {
    const args = ['--import', tsx, 'bench/run.ts', 'history', '--messages', '2000', '--rate', '200', '--duration', '1', '--warmup', '0.5', '--prime', '0.3', '--out', out];
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: repoRoot, timeout: 50_000, maxBuffer: 16 * 2 ** 20 });
    expect(stdout).toContain('| store |');

    const report = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(report.phases.map((p: { label: string }) => p.label)).toEqual(['large', 'small']);
    expect(report.phases.map((p: { messages: number }) => p.messages)).toEqual([2000, 200]);
    for (const phase of report.phases) {
      expect(phase.load.achieved_rps).toBeGreaterThan(0);
      expect(phase.load.ok).toBeGreaterThan(0);
      for (const key of ['p50_ms', 'p90_ms', 'p99_ms', 'p99_9_ms', 'max_ms']) {
        expect(Number.isFinite(phase.load.latency_ms[key]), key).toBe(true);
        expect(phase.load.latency_ms[key]).toBeGreaterThan(0);
      }
      expect(phase.load.percentile_curve.length).toBeGreaterThan(1);
      expect(phase.server.peak_rss_bytes).toBeGreaterThan(0);
    }
    expect(Number.isFinite(report.p99_ratio_large_over_small)).toBe(true);
    expect(report.floor.load.ok).toBeGreaterThan(0);
    expect(report.floor.load.errors).toBe(0);
    expect(report.floor.page_bytes).toBeGreaterThan(100);
    expect(report.floor.load.mean_response_bytes).toBe(report.floor.page_bytes);
    expect(Number.isFinite(report.p99_ratio_large_over_floor)).toBe(true);
    expect(report.machine.cores).toBeGreaterThan(0);

    expect(existsSync(join(out, 'history.md'))).toBe(true);
    expect(readFileSync(join(out, 'history.md'), 'utf8')).toContain('floor: bare node:http');
    expect(readFileSync(join(out, 'history.svg'), 'utf8').startsWith('<svg')).toBe(true);
  }, 60_000);
});
