/**
 * chatctl: the operator's command line for a running chat server (protocol section 8).
 *
 *   npm run chatctl -- projections status
 *   npm run chatctl -- projections rebuild <name>
 *
 * Exit codes: 0 done, 1 failed (server unreachable, refused, rebuild failed), 2 bad arguments.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createTokens } from '../read-api/tokens.ts';

const USAGE = `usage: chatctl [--url <url>] [--token <token>] <command>

commands:
  projections status            name, version, checkpoint, lag and state of every read model
  projections rebuild <name>    rebuild a read model beside the live one, follow its progress,
                                exit 0 once reads switched to it (1 if it failed)

options:
  --url <url>        server (env CHAT_URL, default http://127.0.0.1:3000)
  --token <token>    admin access token (env CHAT_ADMIN_TOKEN); without one, chatctl mints a
                     5-minute admin token from CHAT_JWT_SECRET or else the jwt-secret file in
                     CHAT_DATA_DIR (default ./data), for audience CHAT_JWT_AUDIENCE (default chat)
  --interval <ms>    how often rebuild polls the progress (default 250)
  -h, --help         this text
`;

type Projection = { name: string; version: number; schema_version?: number; checkpoint: number; lag: number; state?: string };
type Rebuild = {
  name: string;
  build: number;
  checkpoint: number;
  head: number;
  applied: number;
  events_per_second: number;
  state: 'running' | 'live' | 'failed' | string;
  error?: string;
};
type ProjectionsAnswer = { projections: Projection[]; rebuilds?: Rebuild[] };

/** A failure with its one-line explanation and exit code. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
const usageError = (why: string) => new CliError(`chatctl: ${why}\n\n${USAGE}`, 2);

// ---------------------------------------------------------------- arguments

type Command = { kind: 'status' } | { kind: 'rebuild'; name: string };
type Options = { url: string; token: string | undefined; intervalMs: number; command: Command };

const parseCommandLine = (argv: string[], env: NodeJS.ProcessEnv): Options | 'help' => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        interval: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw usageError(e instanceof Error ? e.message : String(e));
  }
  if (parsed.values.help) return 'help';
  const [group, action, ...rest] = parsed.positionals;
  let command: Command;
  if (group === 'projections' && action === 'status' && rest.length === 0) command = { kind: 'status' };
  else if (group === 'projections' && action === 'rebuild' && rest.length === 1 && rest[0]) command = { kind: 'rebuild', name: rest[0] };
  else if (group === 'projections' && action === 'rebuild') throw usageError('projections rebuild takes exactly one projection name');
  else throw usageError(parsed.positionals.length === 0 ? 'no command given' : `unknown command: ${parsed.positionals.join(' ')}`);

  const url = (parsed.values.url ?? env.CHAT_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw usageError(`not an http(s) URL: ${url}`);
  const intervalMs = Number(parsed.values.interval ?? 250);
  if (!Number.isFinite(intervalMs) || intervalMs < 10) throw usageError(`--interval must be a number of milliseconds >= 10`);
  const token = parsed.values.token ?? (env.CHAT_ADMIN_TOKEN || undefined);
  return { url, token, intervalMs, command };
};

// ---------------------------------------------------------------- auth

/** An admin token: given, or minted with the server's own secret (embedded profile: its data dir). */
const adminToken = async (given: string | undefined, env: NodeJS.ProcessEnv): Promise<string> => {
  if (given) return given;
  let secret = env.CHAT_JWT_SECRET;
  if (!secret) {
    const file = resolve(join(env.CHAT_DATA_DIR || './data', 'jwt-secret'));
    if (!existsSync(file))
      throw new CliError(`chatctl: no admin token: pass --token, set CHAT_ADMIN_TOKEN or CHAT_JWT_SECRET, or point CHAT_DATA_DIR at the server's data dir (${file} not found)`);
    secret = readFileSync(file, 'utf8').trim();
  }
  return createTokens(secret, env.CHAT_JWT_AUDIENCE || 'chat').issue('chatctl', ['admin'], 5 * 60);
};

// ---------------------------------------------------------------- HTTP

const describeNetworkError = (e: unknown): string => {
  if (e instanceof Error && e.name === 'TimeoutError') return 'no answer within 10 s';
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
};

const createClient = (url: string, token: string) => {
  const request = async (method: string, path: string): Promise<{ status: number; body: any }> => {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      throw new CliError(`chatctl: cannot reach the server at ${url} (${describeNetworkError(e)})`);
    }
    const text = await response.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: response.status, body };
  };

  /** Any answer but the expected one, as one line. */
  const refused = (status: number, body: any, what: string): CliError => {
    const message: string = body?.error?.message ?? (typeof body === 'string' && body ? body.slice(0, 200) : '');
    if (status === 401) return new CliError(`chatctl: unauthorized (401): ${message || 'token refused'}; check --token, or CHAT_JWT_SECRET / CHAT_JWT_AUDIENCE / CHAT_DATA_DIR`);
    if (status === 403) return new CliError(`chatctl: forbidden (403): ${message || 'refused'}; the token needs the "admin" role`);
    return new CliError(`chatctl: ${what} failed: HTTP ${status}${message ? `: ${message}` : ''}`);
  };

  const projections = async (): Promise<ProjectionsAnswer> => {
    const { status, body } = await request('GET', '/v1/admin/projections');
    if (status !== 200) throw refused(status, body, 'reading projection status');
    if (!Array.isArray(body?.projections)) throw new CliError(`chatctl: unexpected answer from ${url}/v1/admin/projections`);
    return body as ProjectionsAnswer;
  };

  return {
    projections,
    async startRebuild(name: string): Promise<void> {
      const { status, body } = await request('POST', `/v1/admin/projections/${encodeURIComponent(name)}/rebuild`);
      if (status === 202) return;
      if (status === 404 && body?.error?.code === 'not_found') {
        const known = await projections().then(
          (a) => [...new Set(a.projections.map((p) => p.name))].join(', '),
          () => '',
        );
        throw new CliError(`chatctl: unknown projection "${name}"${known ? ` (known: ${known})` : ''}`);
      }
      throw refused(status, body, `starting the rebuild of ${name}`);
    },
  };
};

// ---------------------------------------------------------------- output

const table = (header: string[], rows: (string | number)[][]): string => {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  // Text left, numbers right.
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return cells
    .map((r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
};

const printStatus = (answer: ProjectionsAnswer, out: (line: string) => void) => {
  out(
    table(
      ['NAME', 'VERSION', 'SCHEMA', 'CHECKPOINT', 'LAG', 'STATE'],
      answer.projections.map((p) => [p.name, p.version, p.schema_version ?? '-', p.checkpoint, p.lag, p.state ?? '-']),
    ),
  );
  const rebuilds = answer.rebuilds ?? [];
  if (rebuilds.length > 0) {
    out('');
    out(
      table(
        ['REBUILD', 'BUILD', 'STATE', 'CHECKPOINT', 'HEAD', 'APPLIED', 'EVENTS/S'],
        rebuilds.map((b) => [b.name, b.build, b.error ? `${b.state} (${b.error})` : b.state, b.checkpoint, b.head, b.applied, b.events_per_second]),
      ),
    );
  }
};

const BAR_WIDTH = 30;
/** `history  [#############-----------------]  44%  17500/40018 events  21345 events/s  running` */
const progressLine = (p: Rebuild): string => {
  const done = p.state === 'live' ? 1 : p.head > 0 ? Math.min(1, p.checkpoint / p.head) : 0;
  const filled = Math.round(done * BAR_WIDTH);
  const percent = `${Math.floor(done * 100)}%`.padStart(4);
  return `${p.name}  [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent}  ${p.checkpoint}/${p.head} events  ${p.events_per_second} events/s  ${p.state}`;
};

// ---------------------------------------------------------------- commands

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rebuild = async (client: ReturnType<typeof createClient>, name: string, intervalMs: number, out: (line: string) => void) => {
  // Ours gets a build number above every build the server holds now. (Not above the builds
  // of earlier rebuilds listed in `rebuilds`: a failed one is dropped and its number reused.)
  const before = await client.projections();
  const previous = Math.max(0, ...before.projections.filter((p) => p.name === name).map((p) => p.version));
  const wasLive = before.projections.find((p) => p.name === name && p.state === 'live')?.version;

  await client.startRebuild(name);

  const tty = process.stdout.isTTY === true;
  let lastPrinted = '';
  const show = (line: string, final: boolean) => {
    if (tty) process.stdout.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else if (line !== lastPrinted) out(line);
    lastPrinted = line;
  };

  const startedAt = Date.now();
  for (;;) {
    const answer = await client.projections();
    const ours = (answer.rebuilds ?? []).find((b) => b.name === name && b.build > previous);
    if (!ours) {
      // The server registers a rebuild before it answers 202: not seeing it means the server restarted.
      if (Date.now() - startedAt > 10_000) throw new CliError(`chatctl: the rebuild of ${name} is not listed by the server (did it restart?)`);
    } else if (ours.state === 'failed') {
      show(progressLine(ours), true);
      throw new CliError(`chatctl: rebuild of ${name} failed${ours.error ? `: ${ours.error}` : ''}`);
    } else {
      show(progressLine(ours), ours.state === 'live');
      if (ours.state === 'live') {
        const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
        out(
          `${name}: reads switched to build ${ours.build}${wasLive !== undefined ? ` (was ${wasLive})` : ''}; ` +
            `${ours.applied} events applied at ${ours.events_per_second} events/s, ${seconds} s`,
        );
        return;
      }
    }
    await sleep(intervalMs);
  }
};

const main = async (argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> => {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const options = parseCommandLine(argv, env);
    if (options === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    const client = createClient(options.url, await adminToken(options.token, env));
    if (options.command.kind === 'status') printStatus(await client.projections(), out);
    else await rebuild(client, options.command.name, options.intervalMs, out);
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`chatctl: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
};

// Set the exit code and let the event loop drain: stdout is flushed whether it is a pipe or a file.
main(process.argv.slice(2)).then((code) => (process.exitCode = code));
