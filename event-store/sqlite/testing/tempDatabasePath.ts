import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A database path in a fresh temp directory; `remove` deletes it with its -wal/-shm files. */
export const tempDatabasePath = (prefix = 'event-store-') => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    path: join(dir, 'events.db'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};
