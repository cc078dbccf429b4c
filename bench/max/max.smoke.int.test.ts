import { describe, expect, it } from 'vitest';
import { runBenchScenario } from '../lib/smoke.ts';

/** The max scenario at toy sizes, project and Socket.IO relay, two quick steps each: well-formed results. Not a measurement. */
describe('bench max (smoke)', () => {
  it('writes max.json, .md and .svg with the steps and the last rate that held per target', async () => {
    const { stdout, json, svg } = await runBenchScenario('max', [
      '--clients', '10', '--rate', '50', '--factor', '2', '--max-rate', '60', '--duration', '0.7', '--warmup', '0.2', '--p99-limit', '5000', '--targets', 'project,socketio',
    ]);
    expect(stdout).toContain('max rate held');
    expect(json.targets.map((t: { target: string }) => t.target)).toEqual(['project', 'socketio']);
    for (const t of json.targets) {
      expect(t.steps.length).toBeGreaterThan(0);
      expect(t.max_rate_held === null || t.max_rate_held >= 50).toBe(true);
      for (const s of t.steps) expect(s.sends.ok).toBeGreaterThan(0);
    }
    expect(svg.startsWith('<svg')).toBe(true);
  }, 45_000);
});
