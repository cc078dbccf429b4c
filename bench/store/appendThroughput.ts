/**
 * Append throughput of the SQLite event store, synchronous=FULL, fresh temp files, random UUID
 * event ids (like the chat layer's derived ids, they scatter over the id index):
 *   (a) baseline: better-sqlite3 directly, one INSERT per transaction, sequential;
 *   (b) the adapter, sequential awaited single-event appends (one commit each);
 *   (c) the adapter, 1,000 appends in flight over 100 streams (group commit).
 * Run: npx tsx bench/store/appendThroughput.ts  (prints a markdown table for RESULTS.md)
 */
import { randomUUID } from 'node:crypto';
import { createSqliteEventStore } from '../../event-store/sqlite/sqliteEventStore.ts';
import { openDatabase } from '../../event-store/sqlite/openDatabase.ts';
import { tempDatabasePath } from '../../event-store/sqlite/testing/tempDatabasePath.ts';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 5_000);
const IN_FLIGHT = 1_000;
const STREAMS = 100;

type Measured = { name: string; appends: number; seconds: number; commits: number };

const message = (n: number) => ({
  roomId: `room-${n % STREAMS}`,
  senderId: `user-${n % 37}`,
  text: `message ${n}: the quick brown fox jumps over the lazy dog, twice over`,
});

// Progress goes to stderr (one updating line on a terminal), the results table to stdout.
const progress = (label: string, appends: number, startedAt: number) => {
  const seconds = (performance.now() - startedAt) / 1_000;
  const line = `  ${label}: ${appends.toLocaleString('en-US')} appends in ${seconds.toFixed(1)} s`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}   ` : `${line}\n`);
};
const endProgress = () => {
  if (process.stderr.isTTY) process.stderr.write('\n');
};

/** (a) What a naive writer gets: every INSERT is its own transaction, hence its own fsync. */
const plainLoop = (): Measured => {
  const file = tempDatabasePath('bench-plain-');
  const db = openDatabase({ path: file.path, synchronous: 'FULL' });
  const insert = db.prepare(
    `INSERT INTO events (stream_name, revision, event_id, type, data, metadata, recorded_at)
     VALUES (?, ?, ?, 'MessageSent', ?, '{}', ?)`,
  );
  let appends = 0;
  const startedAt = performance.now();
  let lastReport = startedAt;
  const deadline = startedAt + PHASE_MS;
  for (let now = startedAt; now < deadline; now = performance.now()) {
    insert.run('room', BigInt(appends), randomUUID(), JSON.stringify(message(appends)), Date.now());
    appends++;
    // The loop is synchronous: timers can't fire, so report from inside it.
    if (now - lastReport > 1_000) {
      progress('(a) plain loop', appends, startedAt);
      lastReport = now;
    }
  }
  const seconds = (performance.now() - startedAt) / 1_000;
  progress('(a) plain loop', appends, startedAt);
  endProgress();
  db.close();
  file.remove();
  return { name: '(a) better-sqlite3, 1 INSERT per transaction, sequential', appends, seconds, commits: appends };
};

const withProgress = async (label: string, count: () => number, run: () => Promise<void>) => {
  const startedAt = performance.now();
  const timer = setInterval(() => progress(label, count(), startedAt), 1_000);
  try {
    await run();
  } finally {
    clearInterval(timer);
    progress(label, count(), startedAt);
    endProgress();
  }
  return (performance.now() - startedAt) / 1_000;
};

/** (b) The adapter with no concurrency: each append waits for its own commit. */
const sequentialAppends = async (): Promise<Measured> => {
  const file = tempDatabasePath('bench-sequential-');
  const store = createSqliteEventStore({ path: file.path, synchronous: 'FULL' });
  let appends = 0;
  const seconds = await withProgress('(b) adapter, sequential', () => appends, async () => {
    const deadline = performance.now() + PHASE_MS;
    let expectedRevision: bigint | 'no_stream' = 'no_stream';
    while (performance.now() < deadline) {
      const result = await store.appendToStream(
        'room',
        [{ id: randomUUID(), type: 'MessageSent', data: message(appends) }],
        { expectedRevision },
      );
      expectedRevision = result.nextExpectedRevision;
      appends++;
    }
  });
  const { commits } = store.stats();
  await store.close();
  file.remove();
  return { name: '(b) adapter, sequential awaited appends', appends, seconds, commits };
};

/** (c) A busy server: IN_FLIGHT writers, each appending as soon as its previous append was acked. */
const concurrentAppends = async (): Promise<Measured> => {
  const file = tempDatabasePath('bench-concurrent-');
  const store = createSqliteEventStore({ path: file.path, synchronous: 'FULL' });
  let appends = 0;
  const seconds = await withProgress(`(c) adapter, ${IN_FLIGHT} in flight`, () => appends, async () => {
    const deadline = performance.now() + PHASE_MS;
    const writer = async (w: number) => {
      for (let n = 0; performance.now() < deadline; n++) {
        await store.appendToStream(
          `room-${w % STREAMS}`,
          [{ id: randomUUID(), type: 'MessageSent', data: message(n) }],
          { expectedRevision: 'any' },
        );
        appends++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => writer(w)));
  });
  const { commits } = store.stats();
  await store.close();
  file.remove();
  return { name: `(c) adapter, ${IN_FLIGHT} in flight over ${STREAMS} streams`, appends, seconds, commits };
};

const rate = (m: Measured) => m.appends / m.seconds;
const format = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

process.stderr.write(`append throughput, synchronous=FULL, ${PHASE_MS / 1_000} s per scenario\n`);
const plain = plainLoop();
const sequential = await sequentialAppends();
const concurrent = await concurrentAppends();

const rows = [plain, sequential, concurrent].map(
  (m) =>
    `| ${m.name} | ${format(m.appends)} | ${format(m.seconds, 1)} | ${format(rate(m))} | ${format(m.appends / m.commits, 1)} | ${format(rate(m) / rate(plain), 2)}× |`,
);
console.log(
  [
    '',
    `Node ${process.version}, ${process.platform}/${process.arch}, SQLite WAL, synchronous=FULL, 1 event per append`,
    '',
    '| scenario | appends | s | appends/s | appends per commit | vs (a) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `(c)/(a) = ${format(rate(concurrent) / rate(plain), 2)}×, (b)/(a) = ${format(rate(sequential) / rate(plain), 2)}×`,
  ].join('\n'),
);
