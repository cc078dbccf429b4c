import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventStoreContract } from '../contract/eventStoreContract.ts';
import { anEvent, idsOf, rejectionOf, sleep, someEvents, waitUntil } from '../contract/contractHelpers.ts';
import { DuplicateEventIdError, WrongExpectedVersionError } from '../errors.ts';
import type { EventStore } from '../eventStore.ts';
import { openDatabase } from './openDatabase.ts';
import { createSqliteEventStore, type SqliteEventStore } from './sqliteEventStore.ts';
import { tempDatabasePath } from './testing/tempDatabasePath.ts';

const variants = [
  ['SQLite', { commitInWorker: false, soleWriter: false }],
  ['SQLite, commit on a worker thread', { commitInWorker: true, soleWriter: false }],
  ['SQLite, sole writer (head from memory)', { commitInWorker: false, soleWriter: true }],
  ['SQLite, sole writer, commit on a worker thread', { commitInWorker: true, soleWriter: true }],
] as const;
for (const [name, options] of variants)
  eventStoreContract(name, async () => {
    const database = tempDatabasePath();
    let store: EventStore = createSqliteEventStore({ path: database.path, ...options });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = createSqliteEventStore({ path: database.path, ...options });
        return store;
      },
      cleanup: async () => {
        await store.close();
        database.remove();
      },
    };
  }, { canReopen: true });

describe('SQLite event store', () => {
  let database: ReturnType<typeof tempDatabasePath>;
  let store: SqliteEventStore;

  beforeEach(() => {
    database = tempDatabasePath();
    store = createSqliteEventStore({ path: database.path });
  });
  afterEach(async () => {
    await store.close();
    database.remove();
  });

  describe('group commit', () => {
    it('commits appends requested in the same turn in one transaction', async () => {
      const before = store.stats();
      const results = await Promise.all(
        Array.from({ length: 500 }, (_, i) => store.appendToStream(`stream-${i % 50}`, [anEvent({ i })])),
      );

      const after = store.stats();
      expect(results).toHaveLength(500);
      expect(after.appends - before.appends).toBe(500);
      expect(after.commits - before.commits).toBeLessThanOrEqual(2);
      expect(after.commits - before.commits).toBeGreaterThanOrEqual(1);
      expect(await store.headPosition()).toBe(500n);
    });

    it('does not hold back a lone append: sequential awaited appends commit one by one', async () => {
      const before = store.stats().commits;
      for (let i = 0; i < 10; i++) await store.appendToStream('solo', [anEvent()]);
      expect(store.stats().commits - before).toBe(10);
    });

    it('repeats inside one batch are idempotent too: both resolve with the same result, stored once', async () => {
      const batch = someEvents(2);
      const [first, second, conflicting] = await Promise.allSettled([
        store.appendToStream('chat', batch, { expectedRevision: 'no_stream' }),
        store.appendToStream('chat', batch, { expectedRevision: 'no_stream' }),
        store.appendToStream('elsewhere', [batch[1]!], { expectedRevision: 'no_stream' }),
      ]);
      expect(first).toEqual({
        status: 'fulfilled',
        value: { nextExpectedRevision: 1n, firstPosition: 1n, lastPosition: 2n },
      });
      expect(second).toEqual(first);
      expect(conflicting.status).toBe('rejected');
      expect((conflicting as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
      expect(idsOf(await store.readAll())).toEqual(idsOf(batch));
    });

    it('a prefix of an earlier append is an idempotent repeat of its part', async () => {
      const [a, b, c] = someEvents(3);
      const original = await store.appendToStream('chat', [a!, b!, c!], { expectedRevision: 'no_stream' });
      const prefix = await store.appendToStream('chat', [a!, b!], { expectedRevision: 'no_stream' });
      expect(prefix).toEqual({
        nextExpectedRevision: 1n,
        firstPosition: original.firstPosition,
        lastPosition: original.firstPosition + 1n,
      });
      // Longer than what is stored: not a repeat.
      const longer = await rejectionOf(store.appendToStream('chat', [a!, b!, c!, anEvent()], { expectedRevision: 'any' }));
      expect(longer).toBeInstanceOf(DuplicateEventIdError);
      expect(await store.readStream('chat')).toHaveLength(3);
    });

    it('a failing COMMIT rejects every append of its batch, writes nothing, and the store keeps working', async () => {
      // A deferred foreign key is only checked at COMMIT: this trigger makes COMMIT fail
      // for any batch containing a 'PoisonsCommit' event.
      const saboteur = new Database(database.path);
      saboteur.exec(`
        CREATE TABLE commit_gate_parent (id INTEGER PRIMARY KEY);
        CREATE TABLE commit_gate (parent_id INTEGER REFERENCES commit_gate_parent (id) DEFERRABLE INITIALLY DEFERRED);
        CREATE TRIGGER poison_commit AFTER INSERT ON events WHEN NEW.type = 'PoisonsCommit'
        BEGIN INSERT INTO commit_gate (parent_id) VALUES (42); END;
      `);
      saboteur.close();
      await store.appendToStream('before', [anEvent()]);
      const before = store.stats();

      const healthy = someEvents(2);
      const outcomes = await Promise.allSettled([
        store.appendToStream('healthy', healthy),
        store.appendToStream('poisoned', [{ id: 'poison', type: 'PoisonsCommit', data: {} }]),
        store.appendToStream('stale', [anEvent()], { expectedRevision: 3n }),
      ]);

      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
      expect(store.stats().failedCommits - before.failedCommits).toBe(1);
      expect(await store.headPosition()).toBe(1n);
      expect(await store.readStream('healthy')).toEqual([]);
      expect(await store.readEventById('poison')).toBeNull();

      // Rolled back, so the ids are free and the connection is out of the failed transaction.
      const retried = await store.appendToStream('healthy', healthy, { expectedRevision: 'no_stream' });
      expect(retried).toEqual({ nextExpectedRevision: 1n, firstPosition: 2n, lastPosition: 3n });
      expect(store.stats().commits - before.commits).toBe(1);
    });
  });

  describe('several connections on one file', () => {
    let other: SqliteEventStore;
    beforeEach(() => {
      other = createSqliteEventStore({ path: database.path, subscriptionPollIntervalMs: 20 });
    });
    afterEach(() => other.close());

    it('checks expected revisions and event ids against the database, not a cache', async () => {
      await store.appendToStream('room', [anEvent()], { expectedRevision: 'no_stream' });
      const fromOther = anEvent();
      await other.appendToStream('room', [fromOther], { expectedRevision: 0n });

      const stale = await rejectionOf(store.appendToStream('room', [anEvent()], { expectedRevision: 0n }));
      expect(stale).toBeInstanceOf(WrongExpectedVersionError);
      expect(stale).toMatchObject({ actual: 1n });
      const duplicate = await rejectionOf(store.appendToStream('another-room', [fromOther]));
      expect(duplicate).toBeInstanceOf(DuplicateEventIdError);
      expect(await store.appendToStream('room', [fromOther], { expectedRevision: 0n })).toEqual({
        nextExpectedRevision: 1n,
        firstPosition: 2n,
        lastPosition: 2n,
      });
    });

    it('a subscription sees writes from another connection (which cannot notify it) by polling', async () => {
      const received: string[] = [];
      const subscription = other.subscribeToAll({
        after: 'start',
        onEvents: (events) => void received.push(...idsOf(events)),
      });
      await subscription.caughtUp;
      const written = someEvents(3);
      await store.appendToStream('room', written);

      await waitUntil(() => received.length === 3, 'events written through the other connection', 2_000);
      expect(received).toEqual(idsOf(written));
      await subscription.close();
    });
  });

  describe('lifecycle and storage', () => {
    it('close() commits appends already accepted; later appends, reads and subscriptions are refused', async () => {
      const accepted = Array.from({ length: 5 }, (_, i) => store.appendToStream('pending', [anEvent({ i })]));
      await store.close();
      const results = await Promise.all(accepted);
      expect(results.map((r) => r.nextExpectedRevision)).toEqual([0n, 1n, 2n, 3n, 4n]);

      await expect(store.appendToStream('pending', [anEvent()])).rejects.toThrow('closed');
      await expect(store.readStream('pending')).rejects.toThrow('closed');
      expect(() => store.subscribeToAll({ after: 'start', onEvents: () => {} })).toThrow('closed');

      store = createSqliteEventStore({ path: database.path });
      expect(await store.readStream('pending')).toHaveLength(5);
    });

    it('close() ends open subscriptions', async () => {
      const subscription = store.subscribeToAll({ after: 'end', onEvents: () => {} });
      await subscription.caughtUp;
      await store.close();
      await expect(subscription.done).resolves.toBeUndefined();
    });

    it('rejects malformed appends before they reach a batch', async () => {
      await expect(store.appendToStream('s', [])).rejects.toBeInstanceOf(RangeError);
      await expect(store.appendToStream('s', [anEvent()], { expectedRevision: -1n })).rejects.toBeInstanceOf(TypeError);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await expect(store.appendToStream('s', [anEvent(cyclic)])).rejects.toBeInstanceOf(TypeError);
      expect(await store.headPosition()).toBe(0n);
    });

    it('keeps 64-bit positions and revisions exact (no lossy JS numbers)', async () => {
      const raw = new Database(database.path);
      raw.defaultSafeIntegers(true);
      raw
        .prepare(
          `INSERT INTO events (position, stream_name, revision, event_id, type, data, metadata, recorded_at)
           VALUES (?, 'big', ?, 'seed', 'Seeded', '{}', '{}', 0)`,
        )
        .run(2n ** 60n, 2n ** 55n);
      raw.close();

      const result = await store.appendToStream('big', [anEvent()], { expectedRevision: 2n ** 55n });

      expect(result).toEqual({
        nextExpectedRevision: 2n ** 55n + 1n,
        firstPosition: 2n ** 60n + 1n,
        lastPosition: 2n ** 60n + 1n,
      });
      expect((await store.readStream('big')).map((e) => e.revision)).toEqual([2n ** 55n, 2n ** 55n + 1n]);
      expect(await store.headPosition()).toBe(2n ** 60n + 1n);
    });

    it('uses WAL, FULL synchronous by default, and a versioned schema', () => {
      const full = openDatabase({ path: database.path });
      const normal = openDatabase({ path: database.path, synchronous: 'NORMAL' });
      try {
        expect(full.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(full.pragma('synchronous', { simple: true })).toBe(2n); // FULL
        expect(normal.pragma('synchronous', { simple: true })).toBe(1n); // NORMAL
        expect(full.pragma('user_version', { simple: true })).toBe(1n);
        expect(Number(full.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
      } finally {
        full.close();
        normal.close();
      }
    });

    it('a slow subscriber holds back only itself: its memory stays one page', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.appendToStream(`s-${i % 5}`, someEvents(20))));
      const pageSizes: number[] = [];
      const subscription = store.subscribeToAll({
        after: 'start',
        maxBatchSize: 50,
        onEvents: async (events) => {
          pageSizes.push(events.length);
          await sleep(2);
        },
      });
      // Writers are not slowed down by the subscriber.
      const started = Date.now();
      await Promise.all(Array.from({ length: 200 }, () => store.appendToStream('more', [anEvent()])));
      expect(Date.now() - started).toBeLessThan(1_000);

      await subscription.caughtUp;
      await waitUntil(() => pageSizes.reduce((a, b) => a + b, 0) === 1_200, 'all 1200 events');
      expect(Math.max(...pageSizes)).toBe(50);
      await subscription.close();
    });
  });
});
