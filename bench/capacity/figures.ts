/**
 * The measured per-node figures the capacity model runs on, each with where it came
 * from: a benchmark result file (`<results>/<scenario>.json`) when one is there, else
 * the committed `measured.json` (the figures quoted in bench/RESULTS.md). Parsing is
 * pure: the files are read elsewhere and handed in as parsed JSON.
 */
import { z } from 'zod';

export type FigureSource = {
  /** Benchmark scenario (`direct`, `group`, …, `bench:store`). */
  scenario: string;
  /** When the run started (ISO 8601), or the day it was recorded. */
  date: string;
  /** The command that produces the figure. */
  command: string;
  /** The result file it was read from, when there is one. */
  file?: string;
  /** How the value was derived and under which settings. */
  detail: string;
  /** Cores other processes kept busy while it was measured (skews it when not near 0). */
  other_busy_cores?: number | null;
  /** `results`: read from --results now; `measured.json`: the committed figures. */
  origin?: 'results' | 'measured.json';
};

export type Figure = { value: number; unit: string; source: FigureSource };

export const figureSpecs = {
  directCpuMsPerMessage: { unit: 'ms CPU per message', scenario: 'direct', cpu: true, description: 'one message end to end in the embedded server (ack, durable append, projections, delivery to both members)' },
  deliveriesPerCore: { unit: 'deliveries/s per core', scenario: 'group', cpu: true, description: 'message frames routed and written to sessions per core (500-member group)' },
  connectionRssBytes: { unit: 'bytes RSS per connection', scenario: 'connections', cpu: false, description: 'server RSS per idle authenticated WebSocket connection' },
  gatewayBaseRssBytes: { unit: 'bytes RSS', scenario: 'connections', cpu: false, description: 'server RSS before any connection' },
  projectedEventsPerCore: { unit: 'events/s per core', scenario: 'replay', cpu: true, description: 'events applied to every read model, per core (replay, all projections)' },
  logReadEventsPerCore: { unit: 'events/s per core', scenario: 'replay', cpu: true, description: 'events read from the log and decoded, per core (replay of the membership projection alone: the floor of reading the log)' },
  eventBytes: { unit: 'bytes per event', scenario: 'replay', cpu: false, description: 'stored bytes per event (events.db with its indexes over the events written; 100-byte texts)' },
  historyCpuMsPerRequest: { unit: 'ms CPU per request', scenario: 'history', cpu: true, description: 'server CPU per GET /v1/messages page of 50 (largest store)' },
  embeddedMaxMessagesPerS: { unit: 'msg/s per process', scenario: 'max', cpu: true, description: 'highest direct-message rate one embedded server held with p99 deliver ≤ the limit' },
  storeAppendsPerS: { unit: 'appends/s per store process', scenario: 'bench:store', cpu: true, description: 'durable single-event appends with group commit, 1,000 in flight over 100 streams' },
} as const;

export type FigureName = keyof typeof figureSpecs;
export type Figures = Record<FigureName, Figure>;
export const figureNames = Object.keys(figureSpecs) as FigureName[];

// ---- measured.json ----

const sourceSchema = z.object({
  scenario: z.string().min(1),
  date: z.string().min(1),
  command: z.string().min(1),
  file: z.string().optional(),
  detail: z.string().min(1),
  other_busy_cores: z.number().nullable().optional(),
});
const figureSchema = z.object({ value: z.number().positive(), unit: z.string().min(1), source: sourceSchema });

export const measuredFileSchema = z.object({
  $comment: z.string().optional(),
  figures: z.object(Object.fromEntries(figureNames.map((n) => [n, figureSchema])) as Record<FigureName, typeof figureSchema>),
});

/** The committed figures, validated: every figure present, each with its source. */
export const parseMeasured = (json: unknown): Figures => {
  const figures = measuredFileSchema.parse(json).figures as Figures;
  return Object.fromEntries(figureNames.map((n) => [n, { ...figures[n], source: { ...figures[n].source, origin: 'measured.json' as const } }])) as Figures;
};

// ---- benchmark result files ----

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const other = z.object({ other_busy_cores: z.number().nullable() });
const loadPhase = z.object({
  target: z.string(),
  label: z.string(),
  target_rate: z.number(),
  achieved_msgs_per_s: z.number(),
  deliveries: z.object({ per_s: z.number() }),
  server: z.object({ cpu_cores: z.number(), cpu_ms_per_msg: z.number().nullable() }),
  machine_during_load: other,
});

const resultSchemas = {
  direct: z.object({
    scenario: z.literal('direct'),
    started_at: z.string(),
    settings: z.object({ rate: z.number(), clients: z.number() }),
    by_target: z.object({ project: loadPhase.optional() }),
  }),
  group: z.object({
    scenario: z.literal('group'),
    started_at: z.string(),
    settings: z.object({ rate: z.number(), members: z.number() }),
    phases: z.array(loadPhase),
  }),
  connections: z.object({
    scenario: z.literal('connections'),
    started_at: z.string(),
    phases: z.array(
      z.object({
        target: z.string(),
        connect: z.object({ connected: z.number() }),
        rss_before_bytes: z.number(),
        rss_per_connection_bytes: z.number().nullable(),
        machine_during_ramp: other,
      }),
    ),
  }),
  replay: z.object({
    scenario: z.literal('replay'),
    started_at: z.string(),
    generation: z.object({ events: z.number(), events_db_bytes: z.number() }),
    passes: z.array(z.object({ projection: z.string(), events_per_s: z.number(), process: z.object({ cpu_cores: z.number() }), machine: other })),
  }),
  history: z.object({
    scenario: z.literal('history'),
    started_at: z.string(),
    settings: z.object({ rate: z.number() }),
    phases: z.array(
      z.object({
        label: z.string(),
        messages: z.number(),
        load: z.object({ achieved_rps: z.number() }),
        server: z.object({ cpu_cores_busy: z.number(), cpu_ms_per_request: z.number().nullable() }),
        machine_during_load: other,
      }),
    ),
  }),
  max: z.object({
    scenario: z.literal('max'),
    started_at: z.string(),
    settings: z.object({ p99_limit_ms: z.number() }),
    targets: z.array(z.object({ target: z.string(), max_rate_held: z.number().nullable(), steps: z.array(loadPhase) })),
  }),
} as const;

export type ResultScenario = keyof typeof resultSchemas;
export const resultScenarios = Object.keys(resultSchemas) as ResultScenario[];

type Extracted = { figures: Partial<Figures>; problems: string[] };
type Where = { file: string; dir: string };

const fig = (name: FigureName, value: number, source: Omit<FigureSource, 'scenario' | 'origin'>, scenario: string): [FigureName, Figure] => [
  name,
  { value, unit: figureSpecs[name].unit, source: { scenario, ...source, origin: 'results' } },
];
const cmd = (scenario: string, dir: string) => `npm run bench -- ${scenario} --out ${dir}`;
const usable = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

const extractors: { [S in ResultScenario]: (r: z.infer<(typeof resultSchemas)[S]>, w: Where) => Extracted } = {
  direct: (r, w) => {
    const p = r.by_target.project;
    if (!p || !usable(p.server.cpu_ms_per_msg)) return { figures: {}, problems: ['direct.json has no project phase with a CPU per message'] };
    return {
      figures: Object.fromEntries([
        fig('directCpuMsPerMessage', p.server.cpu_ms_per_msg, {
          date: r.started_at,
          command: cmd('direct', w.dir),
          file: w.file,
          detail: `project at ${r.settings.rate} msg/s target, ${round(p.achieved_msgs_per_s, 0)} msg/s achieved, server ${p.server.cpu_cores} cores, ${r.settings.clients} clients`,
          other_busy_cores: p.machine_during_load.other_busy_cores,
        }, 'direct'),
      ]),
      problems: [],
    };
  },
  group: (r, w) => {
    const p = r.phases.find((x) => x.target === 'project');
    if (!p || !usable(p.server.cpu_cores) || !usable(p.deliveries.per_s)) return { figures: {}, problems: ['group.json has no project phase with deliveries and CPU'] };
    return {
      figures: Object.fromEntries([
        fig('deliveriesPerCore', round(p.deliveries.per_s / p.server.cpu_cores, 0), {
          date: r.started_at,
          command: cmd('group', w.dir),
          file: w.file,
          detail: `${p.deliveries.per_s} deliveries/s at ${p.server.cpu_cores} server cores (${r.settings.members} members, ${r.settings.rate} msg/s)`,
          other_busy_cores: p.machine_during_load.other_busy_cores,
        }, 'group'),
      ]),
      problems: [],
    };
  },
  connections: (r, w) => {
    const p = r.phases.find((x) => x.target === 'project');
    if (!p || !usable(p.rss_per_connection_bytes)) return { figures: {}, problems: ['connections.json has no project phase with RSS per connection'] };
    const common = { date: r.started_at, command: cmd('connections', w.dir), file: w.file, other_busy_cores: p.machine_during_ramp.other_busy_cores };
    return {
      figures: Object.fromEntries([
        fig('connectionRssBytes', p.rss_per_connection_bytes, { ...common, detail: `(RSS after − before) / ${p.connect.connected} idle connections` }, 'connections'),
        fig('gatewayBaseRssBytes', p.rss_before_bytes, { ...common, detail: 'server RSS before the ramp' }, 'connections'),
      ]),
      problems: [],
    };
  },
  replay: (r, w) => {
    const pass = (name: string) => r.passes.find((p) => p.projection === name && usable(p.events_per_s) && usable(p.process.cpu_cores));
    const common = { date: r.started_at, command: cmd('replay', w.dir), file: w.file };
    const entries: [FigureName, Figure][] = [];
    const problems: string[] = [];
    const all = pass('all');
    if (all)
      entries.push(fig('projectedEventsPerCore', round(all.events_per_s / all.process.cpu_cores, 0), { ...common, detail: `all projections: ${all.events_per_s} events/s at ${all.process.cpu_cores} cores`, other_busy_cores: all.machine.other_busy_cores }, 'replay'));
    else problems.push('replay.json has no "all" pass');
    const membership = pass('membership');
    if (membership)
      entries.push(fig('logReadEventsPerCore', round(membership.events_per_s / membership.process.cpu_cores, 0), { ...common, detail: `membership pass: ${membership.events_per_s} events/s at ${membership.process.cpu_cores} cores`, other_busy_cores: membership.machine.other_busy_cores }, 'replay'));
    else problems.push('replay.json has no "membership" pass');
    if (usable(r.generation.events) && usable(r.generation.events_db_bytes))
      entries.push(fig('eventBytes', round(r.generation.events_db_bytes / r.generation.events, 0), { ...common, detail: `events.db ${r.generation.events_db_bytes} bytes / ${r.generation.events} events` }, 'replay'));
    return { figures: Object.fromEntries(entries), problems };
  },
  history: (r, w) => {
    const largest = [...r.phases].sort((a, b) => b.messages - a.messages)[0];
    if (!largest || !usable(largest.server.cpu_ms_per_request)) return { figures: {}, problems: ['history.json has no phase with a CPU per request'] };
    return {
      figures: Object.fromEntries([
        fig('historyCpuMsPerRequest', largest.server.cpu_ms_per_request, {
          date: r.started_at,
          command: cmd('history', w.dir),
          file: w.file,
          detail: `${largest.label} store (${largest.messages} messages): ${largest.load.achieved_rps} req/s achieved of ${r.settings.rate}, server ${largest.server.cpu_cores_busy} cores`,
          other_busy_cores: largest.machine_during_load.other_busy_cores,
        }, 'history'),
      ]),
      problems: [],
    };
  },
  max: (r, w) => {
    const t = r.targets.find((x) => x.target === 'project');
    if (!t || !usable(t.max_rate_held)) return { figures: {}, problems: ['max.json has no rate the project held'] };
    const step = t.steps.find((s) => s.target_rate === t.max_rate_held);
    return {
      figures: Object.fromEntries([
        fig('embeddedMaxMessagesPerS', t.max_rate_held, {
          date: r.started_at,
          command: cmd('max', w.dir),
          file: w.file,
          detail: `last rate held with p99 deliver ≤ ${r.settings.p99_limit_ms} ms${step ? ` (server ${step.server.cpu_cores} cores)` : ''}`,
          other_busy_cores: step?.machine_during_load.other_busy_cores ?? null,
        }, 'max'),
      ]),
      problems: [],
    };
  },
};

/** The figures one result file yields; a file of another shape yields none and says why. */
export const figuresFromResult = (scenario: ResultScenario, json: unknown, where: Where): Extracted => {
  const parsed = resultSchemas[scenario].safeParse(json);
  if (!parsed.success) return { figures: {}, problems: [`${where.file}: not a ${scenario} result (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'})`] };
  return (extractors[scenario] as (r: unknown, w: Where) => Extracted)(parsed.data, where);
};

/** Each figure from the results when they have it, else the committed one. */
export const mergeFigures = (measured: Figures, fromResults: Partial<Figures>): Figures =>
  Object.fromEntries(figureNames.map((n) => [n, fromResults[n] ?? measured[n]])) as Figures;

/** Throughput and CPU figures measured while other processes kept half a core or more busy (memory and size figures are not skewed by that). */
export const skewWarnings = (figures: Figures, threshold = 0.5): string[] =>
  figureNames.flatMap((n) => {
    const o = figures[n].source.other_busy_cores;
    return figureSpecs[n].cpu && typeof o === 'number' && o >= threshold
      ? [`${n} was measured while other processes kept ${o} cores busy: it may be pessimistic`]
      : [];
  });
