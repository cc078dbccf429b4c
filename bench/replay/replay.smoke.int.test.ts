import { describe, expect, it } from 'vitest';
import { runBenchScenario } from '../lib/smoke.ts';

/** The replay scenario end to end over a 5,000-event log: well-formed results. Not a measurement. */
describe('bench replay (smoke)', () => {
  it('writes replay.json, .md and .svg with events/s for every pass', async () => {
    const { stdout, json, svg } = await runBenchScenario('replay', ['--events', '5050', '--per-chat', '100', '--passes', 'all,history']);
    expect(stdout).toContain('| pass |');
    expect(json.generation.events).toBe(5050);
    expect(json.passes.map((p: { projection: string }) => p.projection)).toEqual(['all', 'history']);
    for (const pass of json.passes) {
      expect(pass.events).toBe(5050);
      expect(pass.events_per_s).toBeGreaterThan(0);
      expect(pass.process.peak_rss_bytes).toBeGreaterThan(0);
    }
    expect(svg.startsWith('<svg')).toBe(true);
  }, 45_000);
});
