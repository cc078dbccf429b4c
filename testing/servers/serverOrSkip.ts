/**
 * `describeWithServer(name, launcher, body)`: a describe block whose tests run against a
 * real server that the launcher starts before them (beforeAll) and stops after (afterAll).
 *
 * The design's rule ("Real servers in tests", shared/spec/design.md): `npm test` starts the
 * servers it needs when their programs are on the machine, and skips with a loud notice
 * when not; `.ci/run` installs them first and sets CHAT_REQUIRE_SERVERS=1, under which a
 * missing program fails the run instead of skipping.
 *
 * So the one skip here is `describe.skipIf(...)`, decided by the machine at collection
 * time, never by a test author: it is the design's "skips with a loud notice", printed as
 * a console.warn banner. It is not a `.skip` left behind in a test (the repo's rule), and
 * under CHAT_REQUIRE_SERVERS=1 it never skips: beforeAll then fails with the install hint.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { serversRequired, type Launcher, type RunningServer } from './serverProcess.ts';

export type ServerSuiteOptions = {
  /** For beforeAll (start and wait until the server answers). Default 30 s. */
  startTimeoutMs?: number;
  /** For afterAll (stop). Default 15 s. */
  stopTimeoutMs?: number;
};

const banner = (name: string, hint: string) => {
  const line = '!'.repeat(78);
  return [
    '',
    line,
    `!!! SKIPPING the ${name} tests: its server program is not installed on this machine.`,
    `!!! Install it with: ${hint}`,
    '!!! (Under CHAT_REQUIRE_SERVERS=1, as .ci/run sets it, this is a failure instead.)',
    line,
    '',
  ].join('\n');
};

export function describeWithServer<S extends RunningServer>(
  name: string,
  launcher: Launcher<S>,
  body: (getServer: () => S) => void,
  { startTimeoutMs = 30_000, stopTimeoutMs = 15_000 }: ServerSuiteOptions = {},
): void {
  const absent = launcher.find() === null;
  // Machine-driven skip (see the file comment): only when the program is absent AND the run
  // does not require servers. Loud, so nobody mistakes a skipped suite for a passing one.
  const skip = absent && !serversRequired();
  if (skip) console.warn(banner(name, launcher.installHint));

  describe.skipIf(skip)(`${name} (real server)`, () => {
    let server: S | null = null;

    beforeAll(async () => {
      // Under CHAT_REQUIRE_SERVERS=1 a missing program throws here, with the install hint.
      server = await launcher();
      if (server === null) throw new Error(`${name}: the launcher found no program (install with: ${launcher.installHint})`);
    }, startTimeoutMs);

    afterAll(async () => {
      await server?.stop();
      server = null;
    }, stopTimeoutMs);

    body(() => {
      if (server === null) throw new Error(`${name}: the server is not running (it failed to start, or the suite is over)`);
      return server;
    });
  });
}
