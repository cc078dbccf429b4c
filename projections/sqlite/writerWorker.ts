/**
 * The read-model writer: applies the projector's write batches to the read-model file on
 * its own thread and connection, so the main thread reads, decodes and projects the next
 * batch meanwhile (or, live, serves sockets). One transaction per batch, checkpoints
 * included, as on the main thread.
 */
import Database, { type Statement } from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { createBatchDecoder, type EncodedBatch } from './batchCodec.ts';
import { createIndexes } from './createIndexes.ts';
import { sqlOf } from './writeShape.ts';
import type { FromWriter, ToWriter, WriterOpen } from './writerProtocol.ts';

const port = parentPort!;
const reply = (message: FromWriter) => port.postMessage(message);
const { path, bulk } = workerData as WriterOpen;

const db = new Database(path, { timeout: 5_000 });
if (bulk) {
  // No syncs: the file carries a bulk-load marker until the main thread has synced it (bulkLoad.ts).
  db.pragma('synchronous = OFF');
  // Checkpoints every ~40 MiB of WAL, not 4: a page rewritten by several batches is copied
  // to the file fewer times (measured: about 10 % off a 1 M-event load).
  db.pragma('wal_autocheckpoint = 10000');
} else db.pragma('synchronous = NORMAL'); // as openReadDatabase: a lost tail is re-projected
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

port.on('message', (message: ToWriter) => {
  if (message.type === 'batch') {
    if (failed) return reply({ type: 'failed', id: message.id, error: 'an earlier batch failed' });
    try {
      decoder.learn(message.batch);
      for (const { id, physical, shape } of message.batch.shapes) statements.set(id, db.prepare(sqlOf(physical, shape)));
      // IMMEDIATE: the write lock is taken (or waited for) at BEGIN, never upgraded mid-transaction.
      apply.immediate(message.batch);
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
