import { describe, expect, it } from 'vitest';
import { runBenchScenario, wellFormedLatency } from '../lib/smoke.ts';

/** The direct scenario end to end at toy sizes, project and bare ws relay: well-formed results. Not a measurement. */
describe('bench direct (smoke)', () => {
  it('writes direct.json, .md and .svg with figures for each target and their ratio', async () => {
    const { stdout, json, markdown, svg } = await runBenchScenario('direct', ['--clients', '20', '--rate', '100', '--duration', '1', '--warmup', '0.5', '--targets', 'project,ws']);
    expect(stdout).toContain('| phase |');
    expect(json.phases.map((p: { target: string }) => p.target)).toEqual(['project', 'ws']);
    for (const phase of json.phases) {
      expect(phase.connect.connected).toBe(20);
      expect(phase.sends.ok).toBeGreaterThan(0);
      expect(phase.deliveries.received).toBeGreaterThan(0);
      expect(wellFormedLatency(phase.ack_ms)).toBe(true);
      expect(wellFormedLatency(phase.deliver_ms)).toBe(true);
      expect(phase.deliver_curve.length).toBeGreaterThan(1);
      expect(phase.server.peak_rss_bytes).toBeGreaterThan(0);
    }
    expect(Number.isFinite(json.ratios.deliver_p99_project_over_ws)).toBe(true);
    expect(markdown).toContain('p99');
    expect(svg.startsWith('<svg')).toBe(true);
  }, 45_000);
});
