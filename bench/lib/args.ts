import { parseArgs } from 'node:util';

/** A bad command line: the dispatcher prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type NumberOption = {
  kind: 'number';
  default: number;
  description: string;
  /** Smallest accepted value (inclusive). Default: anything > 0. */
  min?: number;
  integer?: boolean;
};
export type StringOption = { kind: 'string'; default: string; description: string };
/** A switch: `--name` alone turns it on. */
export type FlagOption = { kind: 'flag'; default: false; description: string };
export type OptionSpecs = Record<string, NumberOption | StringOption | FlagOption>;
export type ParsedOptions<S extends OptionSpecs> = {
  [K in keyof S]: S[K] extends NumberOption ? number : S[K] extends FlagOption ? boolean : string;
};

/** `--rate`, `--duration`, `--messages`, `--out`: the options every load scenario takes. */
export const commonOptions = {
  rate: { kind: 'number', default: 2_000, description: 'target requests per second (open loop, fixed schedule)' },
  duration: { kind: 'number', default: 10, description: 'measured seconds of load per phase' },
  warmup: { kind: 'number', default: 2, min: 0, description: 'seconds of load before measuring (same rate, not recorded)' },
  workers: { kind: 'number', default: 2, integer: true, description: 'load-generator child processes, each sending rate/workers' },
  out: { kind: 'string', default: '.bench-out', description: 'directory for the result files' },
  profile: { kind: 'flag', default: false, description: 'CPU-profile the server over each measured window (<out>/<scenario>-<phase>.cpuprofile; slows it a little)' },
} as const satisfies OptionSpecs;

/** `--name value` or `--name=value` (a flag: `--name`) for every option in `specs`; unknown options are a UsageError. */
export const parseOptions = <S extends OptionSpecs>(argv: readonly string[], specs: S): ParsedOptions<S> => {
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, { type: spec.kind === 'flag' ? ('boolean' as const) : ('string' as const) }])),
      allowPositionals: false,
      strict: true,
    });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const result: Record<string, number | string | boolean> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = values[name];
    if (raw === undefined) {
      result[name] = spec.default;
      continue;
    }
    if (typeof raw === 'boolean' || spec.kind === 'flag') {
      result[name] = raw === true;
      continue;
    }
    if (spec.kind === 'string') {
      if (raw.length === 0) throw new UsageError(`--${name} must not be empty`);
      result[name] = raw;
      continue;
    }
    const value = Number(raw);
    const min = spec.min;
    if (!Number.isFinite(value) || (min === undefined ? value <= 0 : value < min) || (spec.integer && !Number.isInteger(value)))
      throw new UsageError(
        `--${name} must be ${spec.integer ? 'an integer' : 'a number'} ${min === undefined ? '> 0' : `>= ${min}`}, got ${JSON.stringify(raw)}`,
      );
    result[name] = value;
  }
  return result as ParsedOptions<S>;
};

/** The options block of a usage message. */
export const describeOptions = (specs: OptionSpecs): string =>
  Object.entries(specs)
    .map(([name, spec]) => `  --${name.padEnd(10)} ${spec.description}${spec.kind === 'flag' ? '' : ` (default ${spec.default})`}`)
    .join('\n');
