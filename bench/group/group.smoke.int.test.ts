import { describe, expect, it } from 'vitest';
import { runBenchScenario, wellFormedLatency } from '../lib/smoke.ts';

/** The group scenario end to end with a 20-member group on the project: well-formed results. Not a measurement. */
describe('bench group (smoke)', () => {
  it('writes group.json, .md and .svg with the latency of every delivery', async () => {
    const { stdout, json, svg } = await runBenchScenario('group', ['--members', '20', '--rate', '20', '--duration', '1', '--warmup', '0.5']);
    expect(stdout).toContain('| phase |');
    const [phase] = json.phases;
    expect(phase.target).toBe('project');
    expect(phase.connect.connected).toBe(20);
    expect(phase.fanout).toBe(19);
    expect(phase.deliveries.received).toBeGreaterThan(phase.sends.ok);
    expect(wellFormedLatency(phase.deliver_ms)).toBe(true);
    expect(svg.startsWith('<svg')).toBe(true);
  }, 45_000);
});
