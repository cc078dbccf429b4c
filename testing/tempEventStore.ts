import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteEventStore, type SqliteEventStore } from '../event-store/sqlite/sqliteEventStore.ts';

/** A scratch directory on tmpfs when there is one: real SQLite files, without waiting on a disk. */
export const scratchDir = (prefix: string): string =>
  mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `${prefix}-`));

/** A real SQLite event store in a scratch file that a test can reopen (a restart) and remove. */
export const tempEventStore = () => {
  const dir = scratchDir('chat-store');
  const path = join(dir, 'events.db');
  const open = (): SqliteEventStore => createSqliteEventStore({ path });
  return { dir, path, open, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};
