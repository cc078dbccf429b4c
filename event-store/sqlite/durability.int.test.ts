import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteEventStore } from './sqliteEventStore.ts';
import { tempDatabasePath } from './testing/tempDatabasePath.ts';

const appendUntilKilled = fileURLToPath(new URL('./testing/appendUntilKilled.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the appending child until it has acked at least `minAcks` events, then SIGKILLs it. Returns every ack it printed. */
const appendThenKill = (path: string, generation: number, minAcks: number): Promise<string[]> =>
  new Promise((resolve, reject) => {
    // `--import tsx` registers tsx's ESM and CJS hooks (Node >= 20.6).
    const child = spawn(process.execPath, ['--import', 'tsx', appendUntilKilled, path, String(generation)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: string[] = [];
    let partialLine = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partialLine + chunk).split('\n');
      partialLine = lines.pop()!; // a line cut by the kill is not an ack
      for (const line of lines) if (line.startsWith('ack ')) acks.push(line.slice('ack '.length));
      if (!killed && acks.length >= minAcks) {
        killed = child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // 'close', not 'exit': every byte the child wrote to stdout has been read by then.
    child.on('close', (code, signal) => {
      if (killed && signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`appending child ended on its own (code ${code}, signal ${signal}):\n${stderr}`));
    });
    child.on('error', reject);
  });

describe('SQLite event store durability', () => {
  const database = tempDatabasePath('event-store-durability-');
  afterEach(() => database.remove());

  it('every acknowledged append survives SIGKILL, exactly once, with contiguous revisions', async () => {
    const acked = [
      ...(await appendThenKill(database.path, 1, 1_500)),
      // A second life on the crashed file: recovery, then more appends continuing the streams.
      ...(await appendThenKill(database.path, 2, 1_500)),
    ];
    expect(acked.length).toBeGreaterThanOrEqual(3_000);

    const store = createSqliteEventStore({ path: database.path });
    try {
      const log = await store.readAll();
      const storedIds = log.map((event) => event.id);
      expect(new Set(storedIds).size).toBe(storedIds.length);
      const stored = new Set(storedIds);
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);
      expect(log.every((event, i) => i === 0 || event.position > log[i - 1]!.position)).toBe(true);

      const streams = new Set(log.map((event) => event.streamName));
      expect(streams).toEqual(new Set(['solo', 'batch-0', 'batch-1', 'batch-2', 'batch-3', 'batch-4']));
      for (const stream of streams) {
        const events = await store.readStream(stream);
        expect(events.map((event) => event.revision)).toEqual(events.map((_, i) => BigInt(i)));
        expect(log.filter((event) => event.streamName === stream)).toEqual(events);
      }

      // The one-by-one stream holds each generation's acks as an unbroken prefix.
      const solo = (await store.readStream('solo')).map((event) => event.id);
      for (const generation of [1, 2]) {
        const ackedSolo = acked.filter((id) => id.startsWith(`g${generation}-solo-`));
        expect(ackedSolo.length).toBeGreaterThan(0);
        const storedSolo = solo.filter((id) => id.startsWith(`g${generation}-solo-`));
        expect(storedSolo.slice(0, ackedSolo.length)).toEqual(ackedSolo);
      }
    } finally {
      await store.close();
    }
  });
});
