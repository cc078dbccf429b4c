import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultAssumptions, withOverrides, type Assumptions } from './assumptions.ts';
import { DEFAULTS, runCapacityModel } from './capacityModel.ts';
import { figureNames, figuresFromResult, mergeFigures, parseMeasured, skewWarnings } from './figures.ts';
import { capacityModel, ceilUnits, connectionsPerProcess, cpuCosts, nodesFor, peakLoad, unitsNeeded, type FigureValues } from './model.ts';

/** Round figures whose consequences are checked by hand below. */
const figures: FigureValues = {
  directCpuMsPerMessage: 0.2,
  deliveriesPerCore: 50_000, // 0.02 ms per delivery
  projectedEventsPerCore: 50_000, // 0.02 ms per event
  connectionRssBytes: 10_000,
  gatewayBaseRssBytes: 100_000_000,
  logReadEventsPerCore: 200_000,
  eventBytes: 500,
  historyCpuMsPerRequest: 0.5,
  embeddedMaxMessagesPerS: 3_500,
  storeAppendsPerS: 25_000,
};
const assumptions: Assumptions = defaultAssumptions();
const tier = (r: ReturnType<typeof capacityModel>, prefix: string) => {
  const t = r.tiers.find((x) => x.tier.startsWith(prefix));
  if (!t) throw new Error(`no tier ${prefix}`);
  return t;
};

describe('arithmetic', () => {
  it('ceilings ignore floating-point dust but not real fractions', () => {
    expect(ceilUnits(40.000000000001)).toBe(40);
    expect(ceilUnits(40.1)).toBe(41);
    expect(ceilUnits(0)).toBe(0);
    expect(unitsNeeded(700_000, 35_000, 0.5)).toBe(40);
    expect(unitsNeeded(700_001, 35_000, 0.5)).toBe(41);
    expect(unitsNeeded(4.2, 1.4, 1)).toBe(3); // 4.2 / 1.4 = 3.0000000000000004 in floating point
  });

  it('doubling the per-unit throughput halves the units; halving the utilisation doubles them', () => {
    expect(unitsNeeded(1_400_000, 25_000, 0.5)).toBe(112);
    expect(unitsNeeded(1_400_000, 50_000, 0.5)).toBe(56);
    expect(unitsNeeded(1_400_000, 25_000, 0.25)).toBe(224);
  });

  it('rejects a capacity of zero', () => {
    expect(() => unitsNeeded(1, 0, 0.5)).toThrow();
  });

  it('nodes round up', () => {
    expect(nodesFor(32, 16)).toBe(2);
    expect(nodesFor(33, 16)).toBe(3);
    expect(nodesFor(0, 16)).toBe(0);
  });

  it('connections per process: the file limit less reserved files, the cap, or the memory, whichever is lowest', () => {
    const base = { reservedFiles: 1_000, cap: 100_000, memoryBytes: 4 * 2 ** 30, baseRssBytes: 100 * 2 ** 20, rssPerConnectionBytes: 12_200 };
    expect(connectionsPerProcess({ ...base, fileLimit: 20_000 })).toEqual({ connections: 19_000, boundBy: 'file limit' });
    expect(connectionsPerProcess({ ...base, fileLimit: 1_048_576 })).toEqual({ connections: 100_000, boundBy: 'cap' });
    // (1 GiB − 100 MiB) / 12,200 B = 968,884,224 / 12,200 = 79,416.7
    expect(connectionsPerProcess({ ...base, fileLimit: 1_048_576, memoryBytes: 2 ** 30 })).toEqual({ connections: 79_416, boundBy: 'memory' });
  });
});

describe('the model on hand-checked figures', () => {
  const r = capacityModel(figures, assumptions);

  it('derives the load at the peak', () => {
    const load = peakLoad(figures, assumptions);
    expect(load.appendsPerS).toBe(1_400_000); // 700 k messages + 1 receipt each
    expect(load.deliveriesPerS).toBeCloseTo(2_100_000); // 2.5 members × 0.8 online × 1.5 sessions
    expect(load.pingsPerS).toBeCloseTo(50_000_000 / 30);
    // 500 M × 10 / 86,400 × 700/230 + 0.1 × 700 k
    expect(load.readRequestsPerS).toBeCloseTo((500e6 * 10 * 700) / (86_400 * 230) + 70_000, 3);
    // presence 50 M / 1.5 / 30 + lookups 2.5 × 700 k + publishes 0.8 × that + rate limit 700 k
    expect(load.redisOpsPerS.total).toBeCloseTo(50e6 / 1.5 / 30 + 1_750_000 + 1_400_000 + 700_000, 3);
    // 3 writes per message + 2 per receipt + 2 per read
    expect(load.mongoOpsPerS.total).toBeCloseTo(2_100_000 + 1_400_000 + 2 * load.readRequestsPerS, 3);
  });

  it('charges a gateway command the direct CPU less one projection and two deliveries', () => {
    expect(cpuCosts(figures, assumptions).commandMs).toBeCloseTo(0.2 - 0.02 - 2 * 0.02, 12);
  });

  it('sizes each tier', () => {
    expect(tier(r, 'event store')).toMatchObject({ units: 112, nodes: 336 }); // 1.4 M / (25 k × 0.5), × 3 replicas
    expect(tier(r, 'projector')).toMatchObject({ units: 56, nodes: 4 }); // 1.4 M / (50 k × 0.5); 56 / 16
    expect(tier(r, 'router')).toMatchObject({ units: 84, nodes: 6 }); // 2.1 M / (50 k × 0.5)
    expect(tier(r, 'relay')).toMatchObject({ units: 112, nodes: 0 }); // one per store shard, on its nodes
    // busy cores: 1.4 M × 0.14 ms + (2.1 M + 1.667 M pings) × 0.02 ms = 196 + 75.33 = 271.33 → /0.5 → 543
    expect(tier(r, 'gateway (file limit raised')).toMatchObject({ units: 543, nodes: 34 });
    // 50 M / 19,000 = 2,631.6 → 2,632 processes, 165 nodes; not in the total
    expect(tier(r, 'gateway, alternative')).toMatchObject({ units: 2_632, nodes: 165, inTotal: false });
    // Kafka: max(1.4 M / 10 k = 140, 84 consumers) × 2 = 280 partitions; 1.4 M × 500 B × (3 + 2) = 3.5 GB/s / 150 MB/s → 24 brokers
    expect(tier(r, 'Kafka')).toMatchObject({ units: 280, nodes: 24 });
    expect(tier(r, 'reference')).toMatchObject({ units: 200, inTotal: false }); // 700 k / 3.5 k
  });

  it('totals the counted tiers only', () => {
    expect(r.totalNodes).toBe(r.tiers.filter((t) => t.inTotal).reduce((s, t) => s + t.nodes, 0));
    expect(r.tiers.filter((t) => !t.inTotal).map((t) => t.tier)).toEqual([expect.stringContaining('alternative'), expect.stringContaining('reference')]);
  });

  it('doubling a per-node figure halves its tier', () => {
    const doubled = capacityModel({ ...figures, storeAppendsPerS: 50_000, deliveriesPerCore: 100_000 }, assumptions);
    expect(tier(doubled, 'event store').units).toBe(56);
    expect(tier(doubled, 'router').units).toBe(42);
  });

  it('a faster core shrinks the CPU-bound tiers, not the store', () => {
    const fast = capacityModel(figures, { ...assumptions, cpuSpeedFactor: 2 });
    expect(tier(fast, 'router').units).toBe(42);
    expect(tier(fast, 'projector').units).toBe(28);
    expect(tier(fast, 'event store').units).toBe(112);
  });

  it('raising the file limit moves the gateway from connection-bound to CPU-bound', () => {
    const few = capacityModel(figures, { ...assumptions, peakMessagesPerS: 7_000, averageMessagesPerS: 2_300 });
    expect(tier(few, 'gateway, alternative').units).toBe(2_632);
    expect(tier(few, 'gateway (file limit raised').units).toBe(500); // 50 M / 100 k cap
  });

  it('never charges a negative command cost, and says so', () => {
    const odd = capacityModel({ ...figures, directCpuMsPerMessage: 0.01 }, assumptions);
    expect(odd.cpu.commandMs).toBe(0);
    expect(odd.warnings.join()).toMatch(/command CPU set to 0/);
  });

  it('names the partitioning keys', () => {
    const keys = r.partitioning.map((p) => `${p.key} → ${p.path}`);
    expect(keys).toEqual([
      'chat id → event-store shard (1 of 112)',
      'chat id → Kafka partition of `chat.events` (1 of 280)',
      'Kafka partition → projector instance (of 56) and router instance (of 84)',
      'chat id → MongoDB shard (1 of 160)',
      'user id → gateway node (543 processes)',
      'user id → Redis shard (1 of 100)',
    ]);
  });
});

describe('assumptions', () => {
  it('overrides by name and refuses unknown names, non-numbers and shares above 1', () => {
    expect(withOverrides(assumptions, ['targetUtilisation=0.6', 'dailyUsers=1_000_000']).targetUtilisation).toBe(0.6);
    expect(withOverrides(assumptions, ['dailyUsers=1_000_000']).dailyUsers).toBe(1_000_000);
    expect(() => withOverrides(assumptions, ['noSuch=1'])).toThrow(/name=value/);
    expect(() => withOverrides(assumptions, ['nodeCores=many'])).toThrow(/not a number/);
    expect(() => withOverrides(assumptions, ['targetUtilisation=1.5'])).toThrow(/at most 1/);
  });
});

describe('figures', () => {
  const measured = parseMeasured(JSON.parse(readFileSync(DEFAULTS.measured, 'utf8')));

  it('measured.json holds every figure with its scenario, date and command', () => {
    for (const n of figureNames) {
      const f = measured[n];
      expect(f.value, n).toBeGreaterThan(0);
      expect(f.source.scenario, n).not.toBe('');
      expect(f.source.date, n).toMatch(/^\d{4}-\d{2}-\d{2}/);
      expect(f.source.command, n).toMatch(/^npm run bench/);
      expect(f.source.origin).toBe('measured.json');
    }
  });

  it('a measured.json missing a figure is refused', () => {
    const json = JSON.parse(readFileSync(DEFAULTS.measured, 'utf8'));
    delete json.figures.eventBytes;
    expect(() => parseMeasured(json)).toThrow();
  });

  const directJson = (cpuMsPerMsg: number | null, target = 'project') => ({
    scenario: 'direct',
    started_at: '2027-01-02T03:04:05.000Z',
    settings: { rate: 5_000, clients: 1_000 },
    by_target: {
      [target]: {
        target,
        label: target,
        target_rate: 5_000,
        achieved_msgs_per_s: 5_000,
        deliveries: { per_s: 5_000 },
        server: { cpu_cores: 0.5, cpu_ms_per_msg: cpuMsPerMsg },
        machine_during_load: { other_busy_cores: 0.7 },
      },
    },
  });

  it('takes a figure from a result file, with its source, over the committed one', () => {
    const { figures: got, problems } = figuresFromResult('direct', directJson(0.1), { file: 'x/direct.json', dir: 'x' });
    expect(problems).toEqual([]);
    expect(got.directCpuMsPerMessage).toMatchObject({
      value: 0.1,
      source: { scenario: 'direct', date: '2027-01-02T03:04:05.000Z', command: 'npm run bench -- direct --out x', file: 'x/direct.json', origin: 'results', other_busy_cores: 0.7 },
    });
    const merged = mergeFigures(measured, got);
    expect(merged.directCpuMsPerMessage.value).toBe(0.1);
    expect(merged.deliveriesPerCore).toEqual(measured.deliveriesPerCore);
    expect(skewWarnings(merged).join()).toMatch(/directCpuMsPerMessage .* 0.7 cores/);
  });

  it('falls back, and says why, when a result file lacks the figure or has another shape', () => {
    expect(figuresFromResult('direct', directJson(0.1, 'ws'), { file: 'd.json', dir: '.' })).toMatchObject({ figures: {}, problems: [expect.stringMatching(/no project phase/)] });
    expect(figuresFromResult('direct', directJson(null), { file: 'd.json', dir: '.' }).figures).toEqual({});
    expect(figuresFromResult('group', { scenario: 'direct' }, { file: 'g.json', dir: '.' }).problems[0]).toMatch(/not a group result/);
  });

  it('derives per-core figures from a group and a replay result', () => {
    const group = figuresFromResult(
      'group',
      {
        scenario: 'group',
        started_at: '2027-01-01T00:00:00Z',
        settings: { rate: 50, members: 500 },
        phases: [{ target: 'project', label: 'project', target_rate: 50, achieved_msgs_per_s: 50, deliveries: { per_s: 25_000 }, server: { cpu_cores: 0.5, cpu_ms_per_msg: 10 }, machine_during_load: { other_busy_cores: 0 } }],
      },
      { file: 'g.json', dir: '.' },
    );
    expect(group.figures.deliveriesPerCore?.value).toBe(50_000);
    const replay = figuresFromResult(
      'replay',
      {
        scenario: 'replay',
        started_at: '2027-01-01T00:00:00Z',
        generation: { events: 1_000, events_db_bytes: 600_000 },
        passes: [
          { projection: 'all', events_per_s: 60_000, process: { cpu_cores: 1.2 }, machine: { other_busy_cores: 0 } },
          { projection: 'membership', events_per_s: 200_000, process: { cpu_cores: 1 }, machine: { other_busy_cores: 0 } },
        ],
      },
      { file: 'r.json', dir: '.' },
    );
    expect(replay.problems).toEqual([]);
    expect([replay.figures.projectedEventsPerCore?.value, replay.figures.logReadEventsPerCore?.value, replay.figures.eventBytes?.value]).toEqual([50_000, 200_000, 600]);
  });
});

describe('the script on the committed figures', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const d = mkdtempSync(join(tmpdir(), 'capacity-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('writes a well-formed capacity.json and capacity.md', () => {
    const out = scratch();
    const run = runCapacityModel(['--measured-only', '--out', out]);
    const json = JSON.parse(readFileSync(join(out, 'capacity.json'), 'utf8'));
    const md = readFileSync(join(out, 'capacity.md'), 'utf8');
    expect(json.inputs.results_dir).toBeNull();
    expect(Object.keys(json.inputs.figures).sort()).toEqual([...figureNames].sort());
    for (const t of json.tiers) {
      expect(Number.isInteger(t.units) && t.units > 0, t.tier).toBe(true);
      expect(Number.isInteger(t.nodes) && t.nodes >= 0, t.tier).toBe(true);
      expect(t.source, t.tier).not.toBe('');
    }
    expect(json.total_nodes).toBe(json.tiers.filter((t: { inTotal: boolean }) => t.inTotal).reduce((s: number, t: { nodes: number }) => s + t.nodes, 0));
    expect(json.total_nodes).toBeGreaterThan(0);
    expect(json.partitioning.map((p: { key: string }) => p.key)).toEqual(expect.arrayContaining(['chat id', 'user id', 'Kafka partition']));
    expect(md).toContain('| tier | per-node figure used | source | load at peak |');
    expect(md).toContain(`**Total: ${json.total_nodes.toLocaleString('en-US')} nodes**`);
    expect(md).toContain('npm run bench:store');
    expect(run.summary).toContain('**chat id → event-store shard');
  });

  it('prefers a result file in --results over measured.json', () => {
    const results = scratch();
    const out = scratch();
    writeFileSync(
      join(results, 'max.json'),
      JSON.stringify({ scenario: 'max', started_at: '2027-01-01T00:00:00Z', settings: { p99_limit_ms: 250 }, targets: [{ target: 'project', max_rate_held: 7_000, steps: [] }] }),
    );
    writeFileSync(join(results, 'history.json'), '{ not json');
    const run = runCapacityModel(['--results', results, '--out', out]);
    expect(run.inputs.figures.embeddedMaxMessagesPerS).toMatchObject({ value: 7_000, source: { origin: 'results' } });
    expect(run.inputs.figures.historyCpuMsPerRequest.source.origin).toBe('measured.json');
    expect(run.inputs.problems.join()).toMatch(/history\.json/);
    expect(run.result.tiers.find((t) => t.tier.startsWith('reference'))?.units).toBe(100);
  });
});
