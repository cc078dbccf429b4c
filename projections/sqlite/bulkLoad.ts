import { closeSync, existsSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A catch-up from position 0 writes without syncs (bulkLoadWorker.ts): a crash or power
 * loss meanwhile may leave a torn file, and that costs nothing the log cannot give back.
 * Only files that hold nothing but builds loading from position 0 are loaded this way,
 * and a marker next to the file says "discard me": the next start finds it and rebuilds
 * everything from the log. The marker goes once the file has been synced.
 */
const markerOf = (path: string) => `${path}.bulk-load`;

const syncDirectoryOf = (path: string) => {
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
};

/** At open: a bulk load that never finished leaves its marker; its file may be torn, so start empty. */
export const discardUnfinishedBulkLoad = (path: string): void => {
  if (!existsSync(markerOf(path))) return;
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
  rmSync(markerOf(path), { force: true });
};

/** Before the first unsynced write: the marker is on disk. */
export const markBulkLoad = (path: string): void => {
  const fd = openSync(markerOf(path), 'w');
  try {
    writeSync(fd, 'read models loading from position 0 without syncs; a file left with this marker is discarded at start\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDirectoryOf(path);
};

/** After the file has been synced. */
export const unmarkBulkLoad = (path: string): void => {
  rmSync(markerOf(path), { force: true });
  syncDirectoryOf(path);
};
