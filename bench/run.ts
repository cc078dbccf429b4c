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
  direct: {
    summary: 'WebSocket direct messages between pairs: send→ack / send→deliver p99 at a fixed rate, vs. bare ws and Socket.IO relays',
    usage: async () => (await import('./direct/directScenario.ts')).directUsage,
    run: async (argv) => (await import('./direct/directScenario.ts')).runDirectScenario(argv),
  },
  connections: {
    summary: 'idle authenticated WebSocket connections: server RSS per connection and ramp rate, vs. a bare ws server',
    usage: async () => (await import('./connections/connectionsScenario.ts')).connectionsUsage,
    run: async (argv) => (await import('./connections/connectionsScenario.ts')).runConnectionsScenario(argv),
  },
  group: {
    summary: 'one 500-member group, all online: latency of every delivery at a fixed message rate',
    usage: async () => (await import('./group/groupScenario.ts')).groupUsage,
    run: async (argv) => (await import('./group/groupScenario.ts')).runGroupScenario(argv),
  },
  replay: {
    summary: 'rebuild every projection from position 0 over a ≥ 1 M-event log: events/s per projection and overall',
    usage: async () => (await import('./replay/replayScenario.ts')).replayUsage,
    run: async (argv) => (await import('./replay/replayScenario.ts')).runReplayScenario(argv),
  },
  max: {
    summary: 'direct workload stepped up in rate until p99 deliver > 250 ms or errors: the last rate that held, project vs. baselines',
    usage: async () => (await import('./max/maxScenario.ts')).maxUsage,
    run: async (argv) => (await import('./max/maxScenario.ts')).runMaxScenario(argv),
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
