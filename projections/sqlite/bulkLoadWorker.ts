/**
 * The bulk-load worker: applies a catch-up's write batches to the read-model file on its
 * own connection, so that the main thread reads, decodes and projects the next batch
 * meanwhile. One transaction per batch, checkpoints included, as on the main thread.
 */
import Database, { type Statement } from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { createBatchDecoder, type EncodedBatch } from './batchCodec.ts';
import type { FromBulkLoadWorker, ToBulkLoadWorker } from './bulkLoadProtocol.ts';
import { createIndexes } from './createIndexes.ts';
import { sqlOf } from './writeShape.ts';

const port = parentPort!;
const reply = (message: FromBulkLoadWorker) => port.postMessage(message);

const db = new Database((workerData as { path: string }).path, { timeout: 5_000 });
// No syncs: the file carries a bulk-load marker until the main thread has synced it (bulkLoad.ts).
db.pragma('synchronous = OFF');
// Checkpoints every ~40 MiB of WAL, not 4: a page rewritten by several batches is copied
// to the file fewer times (measured: about 10 % off a 1 M-event load).
db.pragma('wal_autocheckpoint = 10000');
const setCheckpoint = db.prepare('UPDATE projection_builds SET checkpoint = ? WHERE name = ? AND build = ?');
const statements = new Map<number, Statement>();
const decoder = createBatchDecoder();
let failed = false;

const apply = db.transaction((batch: EncodedBatch) =>
  decoder.decode(batch, {
    // Spread: better-sqlite3 reads arguments directly, faster than array elements.
    write: (shapeId, values) => statements.get(shapeId)!.run(...values),
    checkpoint: (name, build, checkpoint) => setCheckpoint.run(checkpoint, name, build),
  }),
);

port.on('message', (message: ToBulkLoadWorker) => {
  if (message.type === 'batch') {
    if (failed) return reply({ type: 'failed', id: message.id, error: 'an earlier batch failed' });
    try {
      decoder.learn(message.batch);
      for (const { id, physical, shape } of message.batch.shapes) statements.set(id, db.prepare(sqlOf(physical, shape)));
      apply(message.batch);
      reply({ type: 'committed', id: message.id });
    } catch (error) {
      failed = true;
      reply({ type: 'failed', id: message.id, error: String(error) });
    }
    return;
  }
  let error: string | undefined;
  try {
    if (!failed) for (const { name, build, tables } of message.indexes) createIndexes(db, name, build, tables);
  } catch (e) {
    error = String(e);
  }
  db.close();
  reply({ type: 'finished', ...(error !== undefined && { error }) });
});

reply({ type: 'ready' });
