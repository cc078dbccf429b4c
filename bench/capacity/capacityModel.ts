/**
 * Capacity model: the measured per-node figures → node counts per tier for the seed's
 * target (500 M daily users, 50 M concurrent connections, 230 k msg/s average, 700 k
 * msg/s peak).
 *
 *   npx tsx bench/capacity/capacityModel.ts [--results dir] [--out dir] [--measured file]
 *                                           [--measured-only] [--assume name=value]...
 *
 * Figures come from the benchmark result files in --results (default `.bench-out`, where
 * `npm run bench` writes) when present, each one else from the committed
 * `bench/capacity/measured.json`, so a clean clone runs it too. The table goes to stdout,
 * `capacity.json` and `capacity.md` to --out (default `bench/capacity/out`, gitignored).
 * The model itself is `model.ts` (pure); this file only reads and writes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { assumptionSpecs, defaultAssumptions, withOverrides } from './assumptions.ts';
import { figureNames, figuresFromResult, mergeFigures, parseMeasured, resultScenarios, skewWarnings, type Figure, type FigureName, type Figures } from './figures.ts';
import { capacityModel, type CapacityResult, type FigureValues } from './model.ts';
import { reportJson, reportMarkdown, summaryMarkdown, type ReportInputs } from './render.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = resolve(here, '../..');
export const DEFAULTS = {
  results: join(repoRoot, '.bench-out'),
  out: join(here, 'out'),
  measured: join(here, 'measured.json'),
};

export const usage = `capacity model: measured per-node figures → nodes per tier for the target load
usage: npx tsx bench/capacity/capacityModel.ts [options]
  --results dir      benchmark result files (<scenario>.json) to read figures from (default .bench-out)
  --measured file    committed figures for whatever --results lacks (default bench/capacity/measured.json)
  --measured-only    ignore --results: the committed figures alone
  --out dir          where capacity.json and capacity.md go (default bench/capacity/out)
  --assume n=v       override an assumption (repeatable):
${Object.entries(assumptionSpecs).map(([n, s]) => `      ${n} (${s.default.toLocaleString('en-US')} ${s.unit}): ${s.description}`).join('\n')}`;

/** A path as the user would type it: relative to the working directory when inside it. */
const display = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
};

/** Figures from the result files in `dir` (I/O: reads whichever `<scenario>.json` exist). */
export const readResultFigures = (dir: string): { figures: Partial<Figures>; problems: string[] } => {
  const figures: Partial<Record<FigureName, Figure>> = {};
  const problems: string[] = [];
  if (!existsSync(dir)) return { figures, problems };
  for (const scenario of resultScenarios) {
    const path = join(dir, `${scenario}.json`);
    if (!existsSync(path)) continue;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      problems.push(`${display(path)}: ${(e as Error).message}`);
      continue;
    }
    const extracted = figuresFromResult(scenario, json, { file: display(path), dir: display(dir) });
    Object.assign(figures, extracted.figures);
    problems.push(...extracted.problems);
  }
  return { figures, problems };
};

export const valuesOf = (figures: Figures): FigureValues => Object.fromEntries(figureNames.map((n) => [n, figures[n].value])) as FigureValues;

export type CapacityRun = { result: CapacityResult; inputs: ReportInputs; markdown: string; summary: string; json: ReturnType<typeof reportJson> };

/** Reads the figures, runs the model, writes capacity.json and capacity.md to `out`. */
export const runCapacityModel = (argv: readonly string[]): CapacityRun & { outDir: string } => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      results: { type: 'string', default: DEFAULTS.results },
      measured: { type: 'string', default: DEFAULTS.measured },
      'measured-only': { type: 'boolean', default: false },
      out: { type: 'string', default: DEFAULTS.out },
      assume: { type: 'string', multiple: true, default: [] },
    },
    allowPositionals: false,
    strict: true,
  });
  const assumptions = withOverrides(defaultAssumptions(), values.assume);
  const measuredPath = resolve(values.measured);
  const measured = parseMeasured(JSON.parse(readFileSync(measuredPath, 'utf8')));
  const resultsDir = values['measured-only'] ? null : resolve(values.results);
  const fromResults = resultsDir === null ? { figures: {}, problems: [] } : readResultFigures(resultsDir);
  const figures = mergeFigures(measured, fromResults.figures);
  const inputs: ReportInputs = {
    figures,
    assumptions,
    resultsDir: resultsDir === null ? null : display(resultsDir),
    measuredFile: display(measuredPath),
    problems: fromResults.problems,
    warnings: skewWarnings(figures),
  };
  const result = capacityModel(valuesOf(figures), assumptions);
  const json = reportJson(result, inputs);
  const markdown = reportMarkdown(result, inputs);
  const outDir = resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'capacity.json'), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(outDir, 'capacity.md'), markdown);
  return { result, inputs, markdown, summary: summaryMarkdown(result, inputs), json, outDir };
};

const main = (argv: readonly string[]): number => {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(`${usage}\n`);
    return 0;
  }
  let run: ReturnType<typeof runCapacityModel>;
  try {
    run = runCapacityModel(argv);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`capacity: ${message}\n\n${usage}\n`);
    return 2;
  }
  const { inputs } = run;
  const fromResults = figureNames.filter((n) => inputs.figures[n].source.origin === 'results');
  process.stderr.write(
    inputs.resultsDir === null
      ? `capacity: every figure from ${inputs.measuredFile} (--measured-only)\n`
      : `capacity: ${fromResults.length} of ${figureNames.length} figures from ${inputs.resultsDir}${fromResults.length ? ` (${fromResults.join(', ')})` : ''}, the rest from ${inputs.measuredFile}\n`,
  );
  for (const p of inputs.problems) process.stderr.write(`capacity: not used: ${p}\n`);
  process.stdout.write(`${run.summary}\n`);
  process.stderr.write(`capacity: wrote ${display(join(run.outDir, 'capacity.{json,md}'))}\n`);
  return 0;
};

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
