/**
 * Benchmark dispatcher: `npm run bench -- <scenario> [options]`.
 * Progress goes to stderr, the summary table to stdout, the result files to --out.
 */
import { UsageError } from './lib/args.ts';

type Scenario = { summary: string; usage: () => Promise<string>; run: (argv: readonly string[]) => Promise<unknown> };

const scenarios: Record<string, Scenario> = {
  history: {
    summary: 'REST history p99 and throughput at a fixed rate, 1 M messages vs. 10× fewer',
    usage: async () => (await import('./history/historyScenario.ts')).historyUsage,
    run: async (argv) => (await import('./history/historyScenario.ts')).runHistoryScenario(argv),
  },
};

const usage = () =>
  [
    'usage: npm run bench -- <scenario> [--rate r] [--duration s] [--messages n] [--out dir] [...]',
    '',
    'scenarios:',
    ...Object.entries(scenarios).map(([name, s]) => `  ${name.padEnd(10)} ${s.summary}`),
    '',
    'npm run bench -- <scenario> --help lists its options.',
  ].join('\n');

const main = async (): Promise<number> => {
  const [name, ...argv] = process.argv.slice(2);
  if (name === undefined || name === '--help' || name === '-h') {
    process.stderr.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const scenario = scenarios[name];
  if (!scenario) {
    process.stderr.write(`unknown scenario ${JSON.stringify(name)}\n\n${usage()}\n`);
    return 2;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(`${await scenario.usage()}\n`);
    return 0;
  }
  try {
    await scenario.run(argv);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${name}: ${error.message}\n\n${await scenario.usage()}\n`);
      return 2;
    }
    throw error;
  }
};

const code = await main();
process.exitCode = code;
// Anything left open (a stray socket or timer) must not keep a finished run alive.
setTimeout(() => process.exit(code), 2_000).unref();
