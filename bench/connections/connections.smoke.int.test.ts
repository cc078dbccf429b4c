import { describe, expect, it } from 'vitest';
import { runBenchScenario } from '../lib/smoke.ts';

/** The connections scenario end to end with 200 connections, project and bare ws: well-formed results. Not a measurement. */
describe('bench connections (smoke)', () => {
  it('writes connections.json, .md and .svg with RSS per connection for each target', async () => {
    const { stdout, json, markdown, svg } = await runBenchScenario('connections', ['--clients', '200', '--workers', '2', '--addresses', '2', '--settle', '0.5']);
    expect(stdout).toContain('| target |');
    expect(json.phases.map((p: { target: string }) => p.target)).toEqual(['project', 'ws']);
    for (const phase of json.phases) {
      expect(phase.connect.connected).toBe(200);
      expect(phase.connect.connections_per_s).toBeGreaterThan(0);
      expect(Number.isFinite(phase.rss_per_connection_bytes)).toBe(true);
      expect(phase.rss_after_bytes).toBeGreaterThan(0);
    }
    expect(markdown).toContain('KiB per connection');
    expect(svg.startsWith('<svg')).toBe(true);
  }, 45_000);
});
